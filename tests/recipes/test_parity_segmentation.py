"""Parity with PaddleX itself for semantic segmentation: `create_model(...).predict` and the bundle.

The model is the fixture from tests/fixtures/make_segmentation_model.py (a small encoder-decoder with
seeded weights, exported with argmax like PaddleX's PP-LiteSeg, PaddleX's PP-LiteSeg-T inference.yml),
once with PP-LiteSeg-T's own transforms (Normalize alone: the image runs at its size) and once with a
keep-ratio Resize to multiples of 32 (the map is then resized back with nearest-neighbour).
PaddleX 3.7.2 runs it in .venv-oracle through tests/oracle/paddlex_model.py. On every image in
../shared/testdata/vision both CPU backends must give PaddleX's label map (same shape, the source
image's) on all pixels but the share TOLERANCES allows, in PaddleX's JSON form, every field equal.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from parity import DifferingShare
from vision_parity import MARKS, assert_matches, compile_bundle, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_segmentation_model import NATIVE, RESIZED, make_model  # noqa: E402

PARITY_FAMILIES = ("semantic_segmentation",)
# The model names this module compiles (tests/recipes/test_recipes_covered.py reads them).
COMPILED_MODELS = ("PP-LiteSeg-T",)
# Worst over the 17 images, both fixtures, both backends, when set.
# A label map is int: measured 0 pixels differing on every image and backend. The limit is not 0 only so that one
# pixel whose two best logits tie within float noise on another CPU cannot fail the suite; a pre- or
# post-processing bug (resize, interpolation, argmax axis) changes far more than 1 pixel in 10 000.
TOLERANCES = {"pred": DifferingShare(1e-4)}  # measured 0 (both fixtures, both backends)

pytestmark = MARKS


@pytest.fixture(scope="module", params=["native", "resized"])
def segmentation_model(request, tmp_path_factory) -> Path:
    transforms = RESIZED if request.param == "resized" else NATIVE
    return make_model(tmp_path_factory.mktemp(f"models-{request.param}") / "PP-LiteSeg-T", transforms=transforms)


@pytest.fixture(scope="module")
def segmentation_bundle(hpi_config, segmentation_model, tmp_path_factory) -> Path:
    return compile_bundle(segmentation_model, tmp_path_factory.mktemp("bundles") / "seg.hpi")


@pytest.fixture(scope="module")
def paddlex_results(segmentation_model, tmp_path_factory) -> dict[str, dict]:
    return oracle(segmentation_model, tmp_path_factory.mktemp("paddlex-seg"))


def test_fixture_predicts_several_classes(paddlex_results):
    """A map of one class everywhere would make the parity test below pass for the wrong reason."""
    classes = [len(np.unique(np.asarray(r["pred"]))) for r in paddlex_results.values()]
    assert len(np.unique(np.concatenate([np.unique(r["pred"]) for r in paddlex_results.values()]))) >= 3
    assert sum(n >= 2 for n in classes) >= len(classes) - 2, classes


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_segmentation_matches_paddlex_on_every_image(segmentation_model, segmentation_bundle, paddlex_results,
                                                     backend):
    case = f"semantic_segmentation {segmentation_model.parent.name.rstrip('0123456789').removeprefix('models-')}/{backend}"
    print(f"{case}: worst {assert_matches(segmentation_bundle, paddlex_results, backend, TOLERANCES, case)}")

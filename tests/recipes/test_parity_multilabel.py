"""Parity with PaddleX itself for multi-label image classification: `create_model(...).predict` and the bundle.

The model is the fixture from tests/fixtures/make_multilabel_model.py (resnet18, seeded random weights,
sigmoid head, PaddleX's PP-LCNet_x1_0_ML inference.yml with threshold 0.5). PaddleX 3.7.2 runs it in
.venv-oracle through tests/oracle/paddlex_model.py. On every image in ../shared/testdata/vision both
CPU backends must keep PaddleX's class ids in its order, with its label names and its scores within TOLERANCES.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import REPO
from parity import MaxAbs
from vision_parity import MARKS, assert_matches, compile_bundle, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_multilabel_model import make_model  # noqa: E402

PARITY_FAMILIES = ("multilabel_classification",)
# The model names this module compiles (tests/recipes/test_recipes_covered.py reads them).
COMPILED_MODELS = ("PP-LCNet_x1_0_ML",)
# Worst over the 17 images, both backends, when set.
# PaddleX rounds scores to 5 decimals and so does the runtime: float noise below 1e-5 moves a score by one
# rounding step at most, so the limit is that step (the audit's scores x0.99 moves a 0.5 score by 500 steps).
TOLERANCES = {"scores": MaxAbs(1.5e-5)}  # measured 1e-5 (OpenVINO and ONNX Runtime)

pytestmark = MARKS


@pytest.fixture(scope="module")
def multilabel_model(tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("models") / "PP-LCNet_x1_0_ML")


@pytest.fixture(scope="module")
def multilabel_bundle(hpi_config, multilabel_model, tmp_path_factory) -> Path:
    return compile_bundle(multilabel_model, tmp_path_factory.mktemp("bundles") / "ml.hpi")


@pytest.fixture(scope="module")
def paddlex_results(multilabel_model, tmp_path_factory) -> dict[str, dict]:
    return oracle(multilabel_model, tmp_path_factory.mktemp("paddlex-ml"))


def test_fixture_keeps_several_classes_in_varying_order(paddlex_results):
    """No kept class, or the same list for every image, would let the parity test pass for the wrong reason."""
    kept = [tuple(r["class_ids"]) for r in paddlex_results.values()]
    assert min(len(ids) for ids in kept) >= 3 and len(set(kept)) >= len(kept) // 2, kept


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_multilabel_matches_paddlex_on_every_image(multilabel_bundle, paddlex_results, backend):
    case = f"multilabel_classification/{backend}"
    print(f"{case}: worst {assert_matches(multilabel_bundle, paddlex_results, backend, TOLERANCES, case)}")

"""Parity with PaddleX itself for multi-label image classification: `create_model(...).predict` and the bundle.

The model is the fixture from tests/fixtures/make_multilabel_model.py (resnet18, seeded random weights,
sigmoid head, PaddleX's PP-LCNet_x1_0_ML inference.yml with threshold 0.5). PaddleX 3.7.2 runs it in
.venv-oracle through tests/oracle/paddlex_model.py. On every image in ../shared/testdata/vision both
CPU backends must keep PaddleX's class ids in its order, with its label names and its scores within 1e-4.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import REPO
from vision_parity import MARKS, assert_classes_match, compile_bundle, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_multilabel_model import make_model  # noqa: E402

PARITY_FAMILIES = ("multilabel_classification",)

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
    worst = assert_classes_match(multilabel_bundle, paddlex_results, backend)
    print(f"{backend}: max score diff {worst:.2g}")

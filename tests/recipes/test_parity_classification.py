"""Parity with PaddleX itself for image classification: `create_model(...).predict` and the bundle.

The model is the fixture from tests/fixtures/make_classification_model.py (resnet18, seeded random
weights, PaddleX's PP-LCNet_x1_0 inference.yml), exported twice: as PIR `inference.json` (what PaddleX
3.x ships; only paddle2onnx >= 2 reads it) and as legacy `inference.pdmodel` (paddle2onnx 1.3.1, the
installed one, is tried first), so both converters are exercised. PaddleX 3.7.2 runs it in .venv-oracle through tests/oracle/paddlex_model.py. On
every image in ../shared/testdata/vision both CPU backends must give every field of PaddleX's result: class
ids and label names equal, scores within TOLERANCES.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import REPO
from parity import MaxAbs
from vision_parity import MARKS, assert_matches, compile_bundle, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_classification_model import make_model  # noqa: E402

PARITY_FAMILIES = ("image_classification",)
# The model names this module compiles (tests/recipes/test_recipes_covered.py reads them).
COMPILED_MODELS = ("PP-LCNet_x1_0",)
# Worst over the 17 images, both exports, both backends, when set.
# PaddleX rounds scores to 5 decimals and so does the runtime: float noise below 1e-5 moves a score by one
# rounding step at most, so the limit is that step (the audit's scores x0.99 moves a 0.5 score by 500 steps).
TOLERANCES = {"scores": MaxAbs(1.5e-5)}  # measured 1e-5 (PIR and legacy, OpenVINO and ONNX Runtime)

pytestmark = MARKS


@pytest.fixture(scope="module", params=["pir", "legacy"])
def classification_model(request, tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp(f"models-{request.param}") / "PP-LCNet_x1_0",
                      legacy=request.param == "legacy")


@pytest.fixture(scope="module")
def classification_bundle(hpi_config, classification_model, tmp_path_factory) -> Path:
    return compile_bundle(classification_model, tmp_path_factory.mktemp("bundles") / "cls.hpi")


@pytest.fixture(scope="module")
def paddlex_results(classification_model, tmp_path_factory) -> dict[str, dict]:
    return oracle(classification_model, tmp_path_factory.mktemp("paddlex-cls"))


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_classification_matches_paddlex_on_every_image(classification_bundle, paddlex_results, backend):
    from hpi.core.bundle_format import Bundle
    from hpi.core.signing import TrustStore

    entry = Bundle.open(classification_bundle, trust=TrustStore.default()).manifest["models"]["image_classification"]
    case = f"image_classification {entry['source']['format']}/{backend}"
    worst = assert_matches(classification_bundle, paddlex_results, backend, TOLERANCES, case)
    print(f"{case} via paddle2onnx {entry['conversion']['converter']['version']}: worst {worst}")

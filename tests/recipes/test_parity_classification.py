"""Parity with PaddleX itself for image classification: `create_model(...).predict` and the bundle.

The model is the fixture from tests/fixtures/make_classification_model.py (resnet18, seeded random
weights, PaddleX's PP-LCNet_x1_0 inference.yml), exported twice: as PIR `inference.json` (what PaddleX
3.x ships; only paddle2onnx >= 2 reads it) and as legacy `inference.pdmodel` (paddle2onnx 1.3.1, the
installed one, is tried first), so both converters are exercised. PaddleX 3.7.2 runs it in .venv-oracle through tests/oracle/paddlex_model.py. On
every image in ../shared/testdata/vision both CPU backends must give PaddleX's class ids and label
names, and its scores within 1e-4.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import REPO
from vision_parity import MARKS, assert_classes_match, compile_bundle, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_classification_model import make_model  # noqa: E402

PARITY_FAMILIES = ("image_classification",)

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

    worst = assert_classes_match(classification_bundle, paddlex_results, backend)
    entry = Bundle.open(classification_bundle, trust=TrustStore.default()).manifest["models"]["image_classification"]
    print(f"{entry['source']['format']} via paddle2onnx {entry['conversion']['converter']['version']}, {backend}: "
          f"max score diff {worst:.2g}")

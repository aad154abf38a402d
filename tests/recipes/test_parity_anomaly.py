"""Parity with PaddleX itself for image anomaly detection: `create_model(...).predict` and the bundle.

The model is the fixture from tests/fixtures/make_anomaly_model.py (a small STFPM student-teacher net
with seeded weights, PaddleX's STFPM inference.yml). PaddleX 3.7.2 runs it in .venv-oracle through
tests/oracle/paddlex_model.py (its MapToMask needs scikit-image there: scripts/setup.sh installs it).
On every image in ../shared/testdata/vision both CPU backends must give PaddleX's mask (same shape,
the model's 256x256 input) on all pixels but the share TOLERANCES allows, in PaddleX's JSON form.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ORACLE_PYTHON, REPO, missing, run_oracle
from parity import DifferingShare
from vision_parity import MARKS, assert_matches, compile_bundle, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_anomaly_model import make_model  # noqa: E402

PARITY_FAMILIES = ("anomaly_detection",)
# The model names this module compiles (tests/recipes/test_recipes_covered.py reads them).
COMPILED_MODELS = ("STFPM",)
# Worst over the 17 images, both backends, when set.
# The mask is 0/255: measured 0 pixels differing on every image and backend. The limit is not 0 only so that one
# pixel whose anomaly score ties the threshold within float noise on another CPU cannot fail the suite; a pre- or
# post-processing bug (resize, interpolation, argmax axis) changes far more than 1 pixel in 10 000.
TOLERANCES = {"pred": DifferingShare(1e-4)}  # measured 0 (both backends)

pytestmark = MARKS


@pytest.fixture(scope="module")
def anomaly_model(tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("models") / "STFPM")


@pytest.fixture(scope="module")
def anomaly_bundle(hpi_config, anomaly_model, tmp_path_factory) -> Path:
    return compile_bundle(anomaly_model, tmp_path_factory.mktemp("bundles") / "uad.hpi")


@pytest.fixture(scope="module")
def paddlex_results(anomaly_model, tmp_path_factory) -> dict[str, dict]:
    if run_oracle([str(ORACLE_PYTHON), "-c", "import skimage"], capture_output=True).returncode != 0:
        missing("scikit-image missing in .venv-oracle (PaddleX's MapToMask needs it): run scripts/setup.sh")
    return oracle(anomaly_model, tmp_path_factory.mktemp("paddlex-uad"))


def test_fixture_masks_are_mixed(paddlex_results):
    """All-0 or all-255 masks would let the parity test pass for the wrong reason."""
    shares = [float((np.asarray(r["pred"]) == 255).mean()) for r in paddlex_results.values()]
    assert sum(0.02 < s < 0.98 for s in shares) >= len(shares) - 2, shares


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_anomaly_matches_paddlex_on_every_image(anomaly_bundle, paddlex_results, backend):
    case = f"anomaly_detection/{backend}"
    print(f"{case}: worst {assert_matches(anomaly_bundle, paddlex_results, backend, TOLERANCES, case)}")

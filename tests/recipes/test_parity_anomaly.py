"""Parity with PaddleX itself for image anomaly detection: `create_model(...).predict` and the bundle.

The model is the fixture from tests/fixtures/make_anomaly_model.py (a small STFPM student-teacher net
with seeded weights, PaddleX's STFPM inference.yml). PaddleX 3.7.2 runs it in .venv-oracle through
tests/oracle/paddlex_model.py (its MapToMask needs scikit-image there: scripts/setup.sh installs it).
On every image in ../shared/testdata/vision both CPU backends must give PaddleX's mask (same shape,
the model's 256x256 input) on at least 99.9 % of the pixels, in PaddleX's JSON form.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ORACLE_PYTHON, REPO, missing
from vision_parity import MARKS, assert_maps_match, compile_bundle, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_anomaly_model import make_model  # noqa: E402

PARITY_FAMILIES = ("anomaly_detection",)

pytestmark = MARKS


@pytest.fixture(scope="module")
def anomaly_model(tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("models") / "STFPM")


@pytest.fixture(scope="module")
def anomaly_bundle(hpi_config, anomaly_model, tmp_path_factory) -> Path:
    return compile_bundle(anomaly_model, tmp_path_factory.mktemp("bundles") / "uad.hpi")


@pytest.fixture(scope="module")
def paddlex_results(anomaly_model, tmp_path_factory) -> dict[str, dict]:
    if subprocess.run([str(ORACLE_PYTHON), "-c", "import skimage"], capture_output=True).returncode != 0:
        missing("scikit-image missing in .venv-oracle (PaddleX's MapToMask needs it): run scripts/setup.sh")
    return oracle(anomaly_model, tmp_path_factory.mktemp("paddlex-uad"))


def test_fixture_masks_are_mixed(paddlex_results):
    """All-0 or all-255 masks would let the parity test pass for the wrong reason."""
    shares = [float((np.asarray(r["pred"]) == 255).mean()) for r in paddlex_results.values()]
    assert sum(0.02 < s < 0.98 for s in shares) >= len(shares) - 2, shares


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_anomaly_matches_paddlex_on_every_image(anomaly_bundle, paddlex_results, backend):
    worst = assert_maps_match(anomaly_bundle, paddlex_results, backend)
    print(f"{backend}: worst image {worst:.4%} of pixels equal")

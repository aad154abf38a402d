"""Parity with PaddleX itself for image anomaly detection: `create_model(...).predict` and the bundle.

The model is the fixture from tests/fixtures/make_anomaly_model.py (a small STFPM student-teacher net
with seeded weights, PaddleX's STFPM inference.yml). PaddleX 3.7.2 runs it in .venv-oracle through
tests/oracle/paddlex_model.py (its MapToMask needs scikit-image there: scripts/setup.sh installs it).
On every image in ../shared/testdata/vision both CPU backends must give PaddleX's mask (same shape,
the model's 256x256 input) on at least 99.9 % of the pixels, in PaddleX's JSON form.
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
from make_anomaly_model import make_model  # noqa: E402

VISION = TESTDATA / "vision"
IMAGES = sorted(VISION.glob("*.*")) if VISION.is_dir() else []
MIN_EQUAL = 0.999

PARITY_FAMILIES = ("anomaly_detection",)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not IMAGES, reason=f"shared test images not found at {VISION}"),
    pytest.mark.skipif(not ORACLE_PYTHON.exists(), reason="PaddleX oracle env missing: run scripts/setup.sh"),
]


@pytest.fixture(scope="module")
def anomaly_model(tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("models") / "STFPM")


@pytest.fixture(scope="module")
def anomaly_bundle(hpi_config, anomaly_model, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundles") / "uad.hpi"
    assert compile_cli(anomaly_model, "--output", out, "--quiet", "--calibration-images", IMAGES[0]) == 0
    return out


@pytest.fixture(scope="module")
def paddlex_results(anomaly_model, tmp_path_factory) -> dict[str, dict]:
    if subprocess.run([str(ORACLE_PYTHON), "-c", "import skimage"], capture_output=True).returncode != 0:
        pytest.skip("scikit-image missing in .venv-oracle (PaddleX's MapToMask needs it): run scripts/setup.sh")
    out = tmp_path_factory.mktemp("paddlex-uad")
    subprocess.run([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_model.py"), str(anomaly_model),
                    str(out), *map(str, IMAGES)], check=True, capture_output=True)
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in IMAGES}


def test_fixture_masks_are_mixed(paddlex_results):
    """All-0 or all-255 masks would let the parity test pass for the wrong reason."""
    shares = [float((np.asarray(r["pred"]) == 255).mean()) for r in paddlex_results.values()]
    assert sum(0.02 < s < 0.98 for s in shares) >= len(shares) - 2, shares


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_anomaly_matches_paddlex_on_every_image(anomaly_bundle, paddlex_results, backend):
    from hpi.runtime_min import open_bundle

    model = open_bundle(anomaly_bundle, backend=backend)
    assert {d["precision"] for d in model.describe().values()} == {"fp32"}
    mismatches, worst = [], 1.0
    for image in IMAGES:
        ours, theirs = model.predict_one(str(image)).to_dict(), paddlex_results[image.name]
        assert set(ours) == set(theirs) and ours["page_index"] == theirs["page_index"]
        mine, want = np.asarray(ours["pred"]), np.asarray(theirs["pred"])
        if mine.shape != want.shape:
            mismatches.append(f"{image.name}: mask {mine.shape} != PaddleX's {want.shape}")
            continue
        equal = float((mine == want).mean())
        worst = min(worst, equal)
        if equal < MIN_EQUAL:
            mismatches.append(f"{image.name}: {equal:.4%} of pixels equal (< {MIN_EQUAL:.1%})")
    assert not mismatches, "\n".join(mismatches)
    print(f"{backend}: {len(IMAGES)} images, worst image {worst:.4%} of pixels equal")

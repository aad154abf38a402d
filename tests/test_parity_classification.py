"""Parity with PaddleX itself for image classification: `create_model(...).predict` and the bundle.

The model is the fixture from tests/fixtures/make_classification_model.py (resnet18, seeded random
weights, PaddleX's PP-LCNet_x1_0 inference.yml), exported twice: as PIR `inference.json` (what PaddleX
3.x ships; only paddle2onnx >= 2 reads it) and as legacy `inference.pdmodel` (paddle2onnx 1.3.1, the
installed one, is tried first), so both converters are exercised. PaddleX 3.7.2 runs it in .venv-oracle through tests/oracle/paddlex_model.py. On
every image in ../shared/testdata/vision both CPU backends must give PaddleX's class ids and label
names, and its scores within 1e-4.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ORACLE_PYTHON, REPO, TESTDATA, compile_cli

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_classification_model import make_model  # noqa: E402

VISION = TESTDATA / "vision"
IMAGES = sorted(VISION.glob("*.*")) if VISION.is_dir() else []

PARITY_FAMILIES = ("image_classification",)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not IMAGES, reason=f"shared test images not found at {VISION}"),
    pytest.mark.skipif(not ORACLE_PYTHON.exists(), reason="PaddleX oracle env missing: run scripts/setup.sh"),
]


@pytest.fixture(scope="module", params=["pir", "legacy"])
def classification_model(request, tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp(f"models-{request.param}") / "PP-LCNet_x1_0",
                      legacy=request.param == "legacy")


@pytest.fixture(scope="module")
def classification_bundle(hpi_config, classification_model, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundles") / "cls.hpi"
    assert compile_cli(classification_model, "--output", out, "--quiet",
                       "--calibration-images", IMAGES[0]) == 0
    return out


@pytest.fixture(scope="module")
def paddlex_results(classification_model, tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("paddlex-cls")
    subprocess.run([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_model.py"), str(classification_model),
                    str(out), *map(str, IMAGES)], check=True, capture_output=True)
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in IMAGES}


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_classification_matches_paddlex_on_every_image(classification_bundle, paddlex_results, backend):
    from hpi.runtime_min import open_bundle

    model = open_bundle(classification_bundle, backend=backend)
    assert {d["precision"] for d in model.describe().values()} == {"fp32"}
    entry = model.bundle.manifest["models"]["image_classification"]
    mismatches, worst = [], 0.0
    for image in IMAGES:
        ours, theirs = model.predict_one(str(image)).to_dict(), paddlex_results[image.name]
        if (ours["class_ids"], ours["label_names"]) != (theirs["class_ids"], theirs["label_names"]):
            mismatches.append(f"{image.name}: {ours['class_ids']} {ours['label_names']} != "
                              f"PaddleX's {theirs['class_ids']} {theirs['label_names']}")
            continue
        diff = max(abs(a - b) for a, b in zip(ours["scores"], theirs["scores"]))
        worst = max(worst, diff)
        if diff > 1e-4:
            mismatches.append(f"{image.name}: scores differ by {diff:.2g}: {ours['scores']} vs {theirs['scores']}")
    assert not mismatches, "\n".join(mismatches)
    print(f"{entry['source']['format']} via paddle2onnx {entry['conversion']['converter']['version']}, {backend}: "
          f"{len(IMAGES)} images, max score diff {worst:.2g}")

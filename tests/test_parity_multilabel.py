"""Parity with PaddleX itself for multi-label image classification: `create_model(...).predict` and the bundle.

The model is the fixture from tests/fixtures/make_multilabel_model.py (resnet18, seeded random weights,
sigmoid head, PaddleX's PP-LCNet_x1_0_ML inference.yml with threshold 0.5). PaddleX 3.7.2 runs it in
.venv-oracle through tests/oracle/paddlex_model.py. On every image in ../shared/testdata/vision both
CPU backends must keep PaddleX's class ids in its order, with its label names and its scores within 1e-4.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ORACLE_PYTHON, REPO, TESTDATA, compile_cli

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_multilabel_model import make_model  # noqa: E402

VISION = TESTDATA / "vision"
IMAGES = sorted(VISION.glob("*.*")) if VISION.is_dir() else []

PARITY_FAMILIES = ("multilabel_classification",)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not IMAGES, reason=f"shared test images not found at {VISION}"),
    pytest.mark.skipif(not ORACLE_PYTHON.exists(), reason="PaddleX oracle env missing: run scripts/setup.sh"),
]


@pytest.fixture(scope="module")
def multilabel_model(tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("models") / "PP-LCNet_x1_0_ML")


@pytest.fixture(scope="module")
def multilabel_bundle(hpi_config, multilabel_model, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundles") / "ml.hpi"
    assert compile_cli(multilabel_model, "--output", out, "--quiet", "--calibration-images", IMAGES[0]) == 0
    return out


@pytest.fixture(scope="module")
def paddlex_results(multilabel_model, tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("paddlex-ml")
    subprocess.run([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_model.py"), str(multilabel_model),
                    str(out), *map(str, IMAGES)], check=True, capture_output=True)
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in IMAGES}


def test_fixture_keeps_several_classes_in_varying_order(paddlex_results):
    """No kept class, or the same list for every image, would let the parity test pass for the wrong reason."""
    kept = [tuple(r["class_ids"]) for r in paddlex_results.values()]
    assert min(len(ids) for ids in kept) >= 3 and len(set(kept)) >= len(kept) // 2, kept


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_multilabel_matches_paddlex_on_every_image(multilabel_bundle, paddlex_results, backend):
    from hpi.runtime_min import open_bundle

    model = open_bundle(multilabel_bundle, backend=backend)
    assert {d["precision"] for d in model.describe().values()} == {"fp32"}
    mismatches, worst = [], 0.0
    for image in IMAGES:
        ours, theirs = model.predict_one(str(image)).to_dict(), paddlex_results[image.name]
        assert set(ours) == set(theirs)
        if (ours["class_ids"], ours["label_names"]) != (theirs["class_ids"], theirs["label_names"]):
            mismatches.append(f"{image.name}: {ours['class_ids']} {ours['label_names']} != "
                              f"PaddleX's {theirs['class_ids']} {theirs['label_names']}")
            continue
        diff = max((abs(a - b) for a, b in zip(ours["scores"], theirs["scores"])), default=0.0)
        worst = max(worst, diff)
        if diff > 1e-4:
            mismatches.append(f"{image.name}: scores differ by {diff:.2g}: {ours['scores']} vs {theirs['scores']}")
    assert not mismatches, "\n".join(mismatches)
    print(f"{backend}: {len(IMAGES)} images, max score diff {worst:.2g}")

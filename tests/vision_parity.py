"""Shared by the single-model PaddleX parity tests on ../shared/testdata/vision: the images and skip
marks, compiling a fixture into a bundle, PaddleX's own results (tests/oracle/paddlex_model.py in
.venv-oracle), and the comparison of every field of every image's result (tests/parity.py) at the
tolerances each family's test sets beside the figures it measured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ORACLE_PYTHON, REPO, TESTDATA, compile_cli, needs_oracle, needs_testdata, run_oracle
from parity import compare, report

VISION = TESTDATA / "vision"
IMAGES = sorted(VISION.glob("*.*")) if VISION.is_dir() else []
MARKS = [
    pytest.mark.slow,
    needs_testdata(IMAGES, VISION),
    needs_oracle(),
]


def compile_bundle(model_dir: Path, out: Path) -> Path:
    assert compile_cli(model_dir, "--output", out, "--quiet", "--calibration-images", IMAGES[0]) == 0
    return out


def paddlex_results(model_dir: Path, out: Path) -> dict[str, dict]:
    """PaddleX's JSON result per image name, from `create_model(model_dir).predict`."""
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_model.py"), str(model_dir), str(out),
                *map(str, IMAGES)], check=True, capture_output=True)
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in IMAGES}


def open_fp32(bundle: Path, backend: str):
    from hpi.runtime_min import open_bundle

    model = open_bundle(bundle, backend=backend)
    assert {d["precision"] for d in model.describe().values()} == {"fp32"}
    return model


def assert_matches(bundle: Path, results: dict[str, dict], backend: str, tolerances: dict, case: str) -> str:
    """Every field of PaddleX's result on every image (parity.compare at `tolerances`), fp32 on `backend`;
    returns the worst differences per field, for the test's printed summary."""
    model = open_fp32(bundle, backend)
    mismatches = []
    for image in IMAGES:
        mismatches += compare(image.name, model.predict_one(str(image)).to_dict(), results[image.name], tolerances,
                              case=case)
    assert not mismatches, "\n".join(mismatches[:40])
    return report(case)

"""Shared by the single-model PaddleX parity tests on ../shared/testdata/vision: the images and skip
marks, compiling a fixture into a bundle, PaddleX's own results (tests/oracle/paddlex_model.py in
.venv-oracle), and the per-image comparisons: class lists (ids and labels equal, scores within 1e-4)
and label maps (equal on at least 99.9 % of the pixels)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import ORACLE_PYTHON, REPO, TESTDATA, compile_cli, needs_oracle, needs_testdata

VISION = TESTDATA / "vision"
IMAGES = sorted(VISION.glob("*.*")) if VISION.is_dir() else []
MARKS = [
    pytest.mark.slow,
    needs_testdata(IMAGES, VISION),
    needs_oracle(),
]
SCORE_ATOL = 1e-4
MIN_EQUAL_PIXELS = 0.999


def compile_bundle(model_dir: Path, out: Path) -> Path:
    assert compile_cli(model_dir, "--output", out, "--quiet", "--calibration-images", IMAGES[0]) == 0
    return out


def paddlex_results(model_dir: Path, out: Path) -> dict[str, dict]:
    """PaddleX's JSON result per image name, from `create_model(model_dir).predict`."""
    subprocess.run([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_model.py"), str(model_dir), str(out),
                    *map(str, IMAGES)], check=True, capture_output=True)
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in IMAGES}


def open_fp32(bundle: Path, backend: str):
    from hpi.runtime_min import open_bundle

    model = open_bundle(bundle, backend=backend)
    assert {d["precision"] for d in model.describe().values()} == {"fp32"}
    return model


def box_differences(ours: list[dict], theirs: list[dict]) -> tuple[list[str], float, float]:
    """Detection boxes compared in order: (problems, worst coordinate diff in px, worst score diff);
    same class ids and labels required, coordinates within 1 px, scores within SCORE_ATOL."""
    if [(b["cls_id"], b["label"]) for b in ours] != [(b["cls_id"], b["label"]) for b in theirs]:
        return [f"{len(ours)} boxes {[b['label'] for b in ours][:8]}... vs PaddleX's {len(theirs)} "
                f"{[b['label'] for b in theirs][:8]}..."], float("inf"), float("inf")
    px = max((abs(a - b) for o, t in zip(ours, theirs) for a, b in zip(o["coordinate"], t["coordinate"])),
             default=0.0)
    score = max((abs(o["score"] - t["score"]) for o, t in zip(ours, theirs)), default=0.0)
    problems = [f"coordinates differ by {px:.3g} px"] if px > 1.0 else []
    problems += [f"scores differ by {score:.3g}"] if score > SCORE_ATOL else []
    return problems, px, score


def assert_classes_match(bundle: Path, results: dict[str, dict], backend: str) -> float:
    """Same class ids and label names as PaddleX on every image, scores within SCORE_ATOL; returns the
    largest score difference."""
    model = open_fp32(bundle, backend)
    mismatches, worst = [], 0.0
    for image in IMAGES:
        ours, theirs = model.predict_one(str(image)).to_dict(), results[image.name]
        assert set(ours) == set(theirs)
        if (ours["class_ids"], ours["label_names"]) != (theirs["class_ids"], theirs["label_names"]):
            mismatches.append(f"{image.name}: {ours['class_ids']} {ours['label_names']} != "
                              f"PaddleX's {theirs['class_ids']} {theirs['label_names']}")
            continue
        diff = max((abs(a - b) for a, b in zip(ours["scores"], theirs["scores"])), default=0.0)
        worst = max(worst, diff)
        if diff > SCORE_ATOL:
            mismatches.append(f"{image.name}: scores differ by {diff:.2g}: {ours['scores']} vs {theirs['scores']}")
    assert not mismatches, "\n".join(mismatches)
    return worst


def assert_maps_match(bundle: Path, results: dict[str, dict], backend: str, key: str = "pred") -> float:
    """The label map / mask `key` equal to PaddleX's on at least MIN_EQUAL_PIXELS of every image;
    returns the worst image's share of equal pixels."""
    model = open_fp32(bundle, backend)
    mismatches, worst = [], 1.0
    for image in IMAGES:
        ours, theirs = model.predict_one(str(image)).to_dict(), results[image.name]
        assert set(ours) == set(theirs) and ours["page_index"] == theirs["page_index"]
        mine, want = np.asarray(ours[key]), np.asarray(theirs[key])
        if mine.shape != want.shape:
            mismatches.append(f"{image.name}: {key} {mine.shape} != PaddleX's {want.shape}")
            continue
        equal = float((mine == want).mean())
        worst = min(worst, equal)
        if equal < MIN_EQUAL_PIXELS:
            mismatches.append(f"{image.name}: {equal:.4%} of pixels equal (< {MIN_EQUAL_PIXELS:.1%})")
    assert not mismatches, "\n".join(mismatches)
    return worst

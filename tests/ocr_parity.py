"""What the OCR parity tests share: PaddleX's results for a config, and one image's comparison."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

from conftest import OCR_IMAGES, ORACLE_PYTHON, REPO

MAX_POLY_PX = 2


def paddlex_ocr_results(config: Path, out: Path, params: dict | None = None) -> dict[str, dict]:
    """PaddleX's OCR pipeline (tests/oracle/paddlex_ocr.py, in .venv-oracle) on every OCR test image;
    `params`: per-call parameters for its `predict`."""
    extra = ["--params", json.dumps(params)] if params else []
    subprocess.run([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_ocr.py"), str(config), str(out),
                    *extra, *map(str, OCR_IMAGES)], check=True, capture_output=True)
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in OCR_IMAGES}


def compare_ocr(name: str, ours: dict, theirs: dict, exact_keys) -> tuple[list[str], float]:
    """(mismatches, worst polygon difference in px): `exact_keys` must be equal, polygons within 2 px."""
    mismatches, worst = [], 0.0
    for key in exact_keys:
        if ours.get(key) != theirs.get(key):
            mismatches.append(f"{name}: {key} {ours.get(key)} != PaddleX's {theirs.get(key)}")
    for key in ("dt_polys", "rec_polys"):
        a, b = ours[key], theirs[key]
        if len(a) != len(b):
            mismatches.append(f"{name}: {len(a)} {key} vs PaddleX's {len(b)}")
        elif a:
            diff = float(np.abs(np.asarray(a) - np.asarray(b)).max())
            worst = max(worst, diff)
            if diff > MAX_POLY_PX:
                mismatches.append(f"{name}: {key} differ by {diff} px")
    return mismatches, worst

"""Parity with PaddleX itself: its OCR pipeline and hpi-run on the same model dirs and config.

PaddleX 3.7.2 (paddlepaddle 3.0.0) runs in its own environment (.venv-oracle, made by scripts/setup.sh)
through tests/oracle/paddlex_ocr.py. Every image in ../shared/testdata/ocr must give identical
`rec_texts` and polygons within 2 px, on every CPU backend in fp32.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import OCR_IMAGES, ORACLE_PYTHON, REPO, needs_testdata

PARITY_FAMILIES = ("text_detection", "text_recognition")
PARITY_PIPELINES = ("OCR",)

pytestmark = [
    pytest.mark.slow,
    needs_testdata(),
    pytest.mark.skipif(not ORACLE_PYTHON.exists(), reason="PaddleX oracle env missing: run scripts/setup.sh"),
]


@pytest.fixture(scope="module")
def paddlex_results(models_dir, tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("paddlex")
    subprocess.run([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_ocr.py"), str(models_dir / "OCR.yaml"),
                    str(out), *map(str, OCR_IMAGES)], check=True, capture_output=True)
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in OCR_IMAGES}


def _max_poly_diff(a, b) -> float:
    assert len(a) == len(b), f"{len(a)} polygons vs PaddleX's {len(b)}"
    return float(np.abs(np.asarray(a) - np.asarray(b)).max()) if a else 0.0


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_ocr_matches_paddlex_on_every_image(ocr_bundle, paddlex_results, backend):
    from hpi.runtime_min import open_bundle

    pipeline = open_bundle(ocr_bundle, backend=backend)
    assert {d["precision"] for d in pipeline.describe().values()} == {"fp32"}
    mismatches = []
    for image in OCR_IMAGES:
        ours, theirs = pipeline.predict_one(str(image)).to_dict(), paddlex_results[image.name]
        if ours["rec_texts"] != theirs["rec_texts"]:
            mismatches.append(f"{image.name}: {ours['rec_texts']} != {theirs['rec_texts']}")
            continue
        for key in ("dt_polys", "rec_polys"):
            diff = _max_poly_diff(ours[key], theirs[key])
            if diff > 2:
                mismatches.append(f"{image.name}: {key} differ by {diff} px")
    assert not mismatches, "\n".join(mismatches)
    assert any(paddlex_results[i.name]["rec_texts"] for i in OCR_IMAGES), "oracle read no text at all"

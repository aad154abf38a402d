"""Parity with PaddleX itself: its OCR pipeline and hpi-run on the same model dirs and config.

PaddleX 3.7.2 (paddlepaddle 3.0.0) runs in its own environment (.venv-oracle, made by scripts/setup.sh)
through tests/oracle/paddlex_ocr.py. Every image in ../shared/testdata/ocr must give identical
`rec_texts` and polygons within 2 px, on every CPU backend in fp32.
"""

from __future__ import annotations

import pytest

from conftest import OCR_IMAGES, ORACLE_PYTHON, needs_testdata
from ocr_parity import compare_ocr, paddlex_ocr_results

PARITY_FAMILIES = ("text_detection", "text_recognition")
PARITY_PIPELINES = ("OCR",)

pytestmark = [
    pytest.mark.slow,
    needs_testdata(),
    pytest.mark.skipif(not ORACLE_PYTHON.exists(), reason="PaddleX oracle env missing: run scripts/setup.sh"),
]


@pytest.fixture(scope="module")
def paddlex_results(models_dir, tmp_path_factory) -> dict[str, dict]:
    return paddlex_ocr_results(models_dir / "OCR.yaml", tmp_path_factory.mktemp("paddlex"))


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_ocr_matches_paddlex_on_every_image(ocr_bundle, paddlex_results, backend):
    from hpi.runtime_min import open_bundle

    pipeline = open_bundle(ocr_bundle, backend=backend)
    assert {d["precision"] for d in pipeline.describe().values()} == {"fp32"}
    mismatches = []
    for image in OCR_IMAGES:
        ours = pipeline.predict_one(str(image)).to_dict()
        mismatches += compare_ocr(image.name, ours, paddlex_results[image.name], ("rec_texts",))[0]
    assert not mismatches, "\n".join(mismatches)
    assert any(paddlex_results[i.name]["rec_texts"] for i in OCR_IMAGES), "oracle read no text at all"

"""Parity with PaddleX itself: its OCR pipeline and hpi-run on the same model dirs and config.

PaddleX 3.7.2 (paddlepaddle 3.0.0) runs in its own environment (.venv-oracle, made by scripts/setup.sh)
through tests/oracle/paddlex_ocr.py. Every image in ../shared/testdata/ocr must give every field PaddleX
returns: texts, settings and integer polygons equal, scores within tests/ocr_parity.py's TOLERANCES, on every
CPU backend in fp32.
"""

from __future__ import annotations

import pytest

from conftest import OCR_IMAGES, ORACLE_PYTHON, needs_oracle, needs_testdata
from ocr_parity import compare_ocr, paddlex_ocr_results
from parity import report

PARITY_FAMILIES = ("text_detection", "text_recognition")
PARITY_PIPELINES = ("OCR",)
# The model names this module compiles (tests/recipes/test_recipes_covered.py reads them).
COMPILED_MODELS = ("PP-OCRv4_mobile_det", "PP-OCRv4_mobile_rec")  # the real ones, scripts/fetch_models.py

pytestmark = [
    pytest.mark.slow,
    needs_testdata(),
    needs_oracle(),
]


@pytest.fixture(scope="module")
def paddlex_results(models_dir, tmp_path_factory) -> dict[str, dict]:
    return paddlex_ocr_results(models_dir / "OCR.yaml", tmp_path_factory.mktemp("paddlex"))


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_ocr_matches_paddlex_on_every_image(ocr_bundle, paddlex_results, backend):
    from hpi.runtime_min import open_bundle

    pipeline = open_bundle(ocr_bundle, backend=backend)
    assert {d["precision"] for d in pipeline.describe().values()} == {"fp32"}
    mismatches, case = [], f"OCR/{backend}"
    for image in OCR_IMAGES:
        ours = pipeline.predict_one(str(image)).to_dict()
        mismatches += compare_ocr(image.name, ours, paddlex_results[image.name], case)
    assert not mismatches, "\n".join(mismatches)
    assert any(paddlex_results[i.name]["rec_texts"] for i in OCR_IMAGES), "oracle read no text at all"
    print(f"{case}: {len(OCR_IMAGES)} images, worst: {report(case)}")


# PaddleX's per-call predict() parameters, each different from the bundle's (OCR.yaml) value.
CALL_PARAMS = {"text_det_limit_side_len": 640, "text_det_limit_type": "min", "text_det_thresh": 0.35,
               "text_det_box_thresh": 0.5, "text_det_unclip_ratio": 1.6, "text_rec_score_thresh": 0.8,
               "use_textline_orientation": False, "use_doc_orientation_classify": False, "return_word_box": True}


@pytest.fixture(scope="module")
def paddlex_call_results(models_dir, tmp_path_factory) -> dict[str, dict]:
    return paddlex_ocr_results(models_dir / "OCR.yaml", tmp_path_factory.mktemp("paddlex-call"), CALL_PARAMS)


def test_per_call_parameters_match_paddlex(ocr_bundle, paddlex_call_results, paddlex_results):
    from hpi.runtime_min import open_bundle

    pipeline = open_bundle(ocr_bundle, backend="openvino")
    ours = {r.input_path: r.to_dict() for r in pipeline.predict([str(i) for i in OCR_IMAGES], **CALL_PARAMS)}
    mismatches = []
    for image in OCR_IMAGES:
        mismatches += compare_ocr(image.name, ours[str(image)], paddlex_call_results[image.name], "OCR per call/openvino")
    assert not mismatches, "\n".join(mismatches)
    # The parameters changed what PaddleX found, so the comparison above tested them.
    assert any(paddlex_call_results[i.name]["rec_texts"] != paddlex_results[i.name]["rec_texts"] for i in OCR_IMAGES)
    assert paddlex_call_results[OCR_IMAGES[0].name]["text_det_params"]["limit_type"] == "min"
    # Word boxes of every kind were compared: CJK characters (one box each) and Latin/digit words.
    words = [w for i in OCR_IMAGES for line in paddlex_call_results[i.name]["text_word"] for w in line]
    assert any("\u4e00" <= w <= "\u9fff" for w in words) and any(w.isascii() and w.isalnum() for w in words)

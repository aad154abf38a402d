"""Parity with PaddleX for per-call document preprocessor flags on a pipeline that has the preprocessor:
PaddleX's `predict(..., use_doc_unwarping=False)` alone turns the whole preprocessor off (its
`get_model_settings`: on only when a given flag is True), and so must ours."""

from __future__ import annotations

import pytest

from conftest import OCR_IMAGES, ORACLE_PYTHON, needs_oracle, needs_testdata
from ocr_parity import compare_ocr, paddlex_ocr_results
from test_parity_doc_preprocessor import doc_bundle, doc_config  # noqa: F401  (module fixtures, built here again)

pytestmark = [
    pytest.mark.slow,
    needs_testdata(),
    needs_oracle(),
]


def test_per_call_use_doc_unwarping_false_matches_paddlex(doc_bundle, doc_config, tmp_path_factory):  # noqa: F811
    from hpi.runtime_min import open_bundle

    call = {"use_doc_unwarping": False}
    theirs = paddlex_ocr_results(doc_config, tmp_path_factory.mktemp("paddlex-doc-call"), call)
    pipeline = open_bundle(doc_bundle, backend="openvino")
    mismatches = []
    for result in pipeline.predict([str(i) for i in OCR_IMAGES], **call):
        name = result.input_path.rsplit("/", 1)[1]
        ours = result.to_dict()
        mismatches += compare_ocr(name, ours, theirs[name], "OCR-doc per call/openvino")  # incl. which keys are there
    assert not mismatches, "\n".join(mismatches)
    assert not any(r["model_settings"]["use_doc_preprocessor"] for r in theirs.values())
    # The bundle's own setting is untouched by the call.
    assert pipeline.predict_one(str(OCR_IMAGES[0])).to_dict()["model_settings"]["use_doc_preprocessor"] is True

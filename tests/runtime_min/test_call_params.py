"""PaddleX 3.7.2's per-call OCR parameters resolved against a bundle's (its `get_model_settings` rules)."""

from __future__ import annotations

import pytest

from hpi.runtime_min.pipelines import call_params
from hpi.runtime_min.pipelines.ocr import DEFAULT_PARAMS

DOC = {**DEFAULT_PARAMS, "use_doc_preprocessor": True, "use_doc_orientation_classify": True}


def resolve(params, has_textline=False, has_doc_ori=False, has_doc_unwarp=False, **call):
    return call_params.resolve(params, call, has_textline=has_textline, has_doc_ori=has_doc_ori,
                               has_doc_unwarp=has_doc_unwarp)


def test_none_or_nothing_keeps_the_bundles_values():
    assert resolve(DEFAULT_PARAMS) == DEFAULT_PARAMS
    assert resolve(DOC, has_doc_ori=True, text_det_thresh=None, use_doc_orientation_classify=None) == DOC


def test_detection_values_replace_the_bundles():
    p = resolve(DEFAULT_PARAMS, text_det_limit_side_len=736, text_det_limit_type="max", text_det_max_side_limit=2000,
                text_det_thresh=0.4, text_det_box_thresh=0.5, text_det_unclip_ratio=2.0, text_rec_score_thresh=0.5)
    assert (p["text_det_limit_side_len"], p["text_det_limit_type"], p["text_det_max_side_limit"]) == (736, "max", 2000)
    assert (p["text_det_thresh"], p["text_det_box_thresh"], p["text_det_unclip_ratio"]) == (0.4, 0.5, 2.0)
    assert p["text_rec_score_thresh"] == 0.5


def test_document_preprocessor_follows_paddlex():
    # Either flag given: the preprocessor runs only if one of them is True.
    off = resolve(DOC, has_doc_ori=True, use_doc_unwarping=False)
    assert off["use_doc_preprocessor"] is False and off["use_doc_orientation_classify"] is False
    assert resolve(DOC, has_doc_ori=True, use_doc_orientation_classify=False)["use_doc_preprocessor"] is False
    on = resolve(DOC, has_doc_ori=True, use_doc_orientation_classify=True, use_doc_unwarping=False)
    assert on["use_doc_preprocessor"] is True and on["use_doc_orientation_classify"] is True
    assert resolve(DEFAULT_PARAMS, use_doc_orientation_classify=False)["use_doc_preprocessor"] is False


def test_document_unwarping_follows_paddlex():
    unwarp = {**DOC, "use_doc_unwarping": True}
    # Given alone, each flag keeps the other at the bundle's value inside the preprocessor.
    on = resolve(DOC, has_doc_ori=True, has_doc_unwarp=True, use_doc_unwarping=True)
    assert on["use_doc_preprocessor"] and on["use_doc_unwarping"] and on["use_doc_orientation_classify"]
    only_ori = resolve(unwarp, has_doc_ori=True, has_doc_unwarp=True, use_doc_orientation_classify=True)
    assert only_ori["use_doc_unwarping"] is True
    # Both not True: the whole preprocessor is off (PaddleX's get_model_settings).
    off = resolve(unwarp, has_doc_ori=True, has_doc_unwarp=True, use_doc_orientation_classify=False)
    assert off["use_doc_preprocessor"] is False and off["use_doc_unwarping"] is False
    with pytest.raises(ValueError, match="use_doc_unwarping=True: this bundle has no document unwarping model; fix"):
        resolve(DOC, has_doc_ori=True, use_doc_unwarping=True)


def test_textline_orientation_needs_its_model():
    assert resolve(DEFAULT_PARAMS, has_textline=True, use_textline_orientation=True)["use_textline_orientation"]
    assert resolve({**DEFAULT_PARAMS, "use_textline_orientation": True}, has_textline=True,
                   use_textline_orientation=False)["use_textline_orientation"] is False
    with pytest.raises(ValueError, match="no text line orientation model; fix"):
        resolve(DEFAULT_PARAMS, use_textline_orientation=True)


@pytest.mark.parametrize("call, message", [
    ({"use_doc_unwarping": True}, "use_doc_unwarping=True: this bundle's OCR pipeline has no document preprocessor"),
    ({"return_word_box": 1}, "return_word_box must be True, False or None"),
    ({"use_doc_orientation_classify": True}, "no document preprocessor"),
    ({"use_textline_orientation": "yes"}, "must be True, False or None"),
    ({"text_det_limit_type": "long"}, "must be one of min, max, resize_long"),
    ({"text_det_tresh": 0.3}, r"unknown predict parameter\(s\) text_det_tresh for the OCR pipeline; accepted"),
])
def test_refused_with_the_reason(call, message):
    with pytest.raises(ValueError, match=message):
        resolve(DEFAULT_PARAMS, **call)


def test_return_word_box_per_call():
    assert resolve(DEFAULT_PARAMS, return_word_box=True)["return_word_box"] is True
    assert resolve({**DEFAULT_PARAMS, "return_word_box": True}, return_word_box=False)["return_word_box"] is False
    assert resolve({**DEFAULT_PARAMS, "return_word_box": True})["return_word_box"] is True


def test_doc_orientation_needs_its_model():
    with pytest.raises(ValueError, match="no document orientation model"):
        resolve({**DOC, "use_doc_orientation_classify": False}, use_doc_orientation_classify=True)


def test_seal_parameters_are_split_into_doc_layout_and_ocr():
    call = {"seal_det_limit_side_len": 960, "seal_det_limit_type": "max", "seal_det_thresh": 0.3,
            "seal_det_box_thresh": 0.7, "seal_det_unclip_ratio": 0.8, "seal_rec_score_thresh": 0.5,
            "use_doc_orientation_classify": False, "use_doc_unwarping": None, "use_layout_detection": True,
            "layout_threshold": {"16": 0.4}, "layout_nms": None, "layout_unclip_ratio": 1.2,
            "layout_merge_bboxes_mode": "small"}
    doc, layout, ocr = call_params.split_seal(call)
    assert doc == {"use_doc_orientation_classify": False}
    assert layout == {"use_layout_detection": True, "layout_threshold": {16: 0.4}, "layout_unclip_ratio": [1.2, 1.2],
                      "layout_merge_bboxes_mode": "small"}
    assert ocr == {
        "text_det_limit_side_len": 960, "text_det_limit_type": "max", "text_det_thresh": 0.3,
        "text_det_box_thresh": 0.7, "text_det_unclip_ratio": 0.8, "text_rec_score_thresh": 0.5}
    assert call_params.split_seal({"layout_unclip_ratio": (1, 1.5), "layout_threshold": 0.5})[1] == {
        "layout_unclip_ratio": [1.0, 1.5], "layout_threshold": 0.5}
    # 0.0 is falsy: PaddleX then keeps the pipeline's ratio
    assert call_params.split_seal({"layout_unclip_ratio": 0.0})[1] == {}


@pytest.mark.parametrize("call, message", [
    ({"use_layout_detection": "yes"}, "use_layout_detection must be True, False or None"),
    ({"use_doc_orientation_classify": "no"}, "must be True, False or None"),
    ({"layout_nms": 1}, "layout_nms must be True, False or None"),
    ({"layout_threshold": "high"}, "layout_threshold must be a number"),
    ({"layout_threshold": {"seal": 0.5}}, r"layout_threshold as a map must be \{class id: number\}"),
    ({"layout_unclip_ratio": 2}, "layout_unclip_ratio must be a float or a \\(width, height\\) pair"),
    ({"layout_unclip_ratio": {16: (1.0, 1.0)}}, "layout_unclip_ratio must be a float"),
    ({"layout_merge_bboxes_mode": {16: "large"}}, "layout_merge_bboxes_mode must be one of union, large, small"),
    ({"layout_det_res": [{}]}, "layout_det_res .* is not taken"),
    ({"text_det_thresh": 0.3}, r"unknown predict parameter\(s\) text_det_thresh for the seal_recognition pipeline"),
])
def test_seal_parameters_refused_with_the_reason(call, message):
    with pytest.raises(ValueError, match=message) as exc:
        call_params.split_seal(call)
    assert "\n" not in str(exc.value)


def test_table_recognition_call_is_split_by_paddlex_names():
    doc, layout, ocr, own = call_params.split_table({
        "use_doc_unwarping": False, "use_layout_detection": False, "use_ocr_model": True, "text_det_thresh": 0.4,
        "text_rec_score_thresh": 0.5, "cell_sort_by_y_projection": True, "use_ocr_results_with_table_cells": None})
    assert doc == {"use_doc_unwarping": False}
    assert layout == {"use_layout_detection": False}
    assert ocr == {"text_det_thresh": 0.4, "text_rec_score_thresh": 0.5}
    assert own == {"cell_sort_by_y_projection": True}


@pytest.mark.parametrize("call, message", [
    ({"layout_threshold": 0.3}, "unknown predict parameter.*layout_threshold.*table_recognition"),
    ({"text_det_max_side_limit": 900}, "unknown predict parameter.*text_det_max_side_limit"),
    ({"overall_ocr_res": {}}, "overall_ocr_res .* is not taken"),
    ({"layout_det_res": {}}, "layout_det_res .* is not taken"),
    ({"use_ocr_model": False}, "use_ocr_model=False needs overall_ocr_res"),
    ({"cell_sort_by_y_projection": 1}, "cell_sort_by_y_projection must be True, False or None"),
])
def test_table_recognition_call_refusals_are_one_line(call, message):
    with pytest.raises(ValueError, match=message) as exc:
        call_params.split_table(call)
    assert "\n" not in str(exc.value)

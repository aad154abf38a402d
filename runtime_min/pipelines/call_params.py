"""PaddleX 3.7.2's per-call OCR parameters (`_OCRPipeline.predict`), resolved against a bundle's own.

A value left out or None means "the bundle's" (the pipeline config it was compiled from), as in
PaddleX. The model settings follow PaddleX's `get_model_settings`:

* `use_doc_orientation_classify` / `use_doc_unwarping`: when either is given, the document
  preprocessor runs only if one of them is True (so `use_doc_unwarping=False` alone turns it off,
  as in PaddleX); the preprocessor's own orientation and unwarping settings are the given ones, else
  the bundle's. True needs the bundle's model for it (PaddleX fails there too when its config did not
  create that model).
* `use_textline_orientation`: True needs the bundle's text line orientation model; PaddleX fails
  there too when its config did not create that model.
* `return_word_box`: the words of each line and their boxes (ops/word_box.py), as PaddleX computes them.

The seal_recognition pipeline's own parameters (`split_seal`): the document preprocessor's two switches,
layout detection's (`use_layout_detection`, `layout_threshold`, `layout_nms`, `layout_unclip_ratio`,
`layout_merge_bboxes_mode`) and `seal_det_*` / `seal_rec_score_thresh`, handed to its SealOCR under the
`text_det_*` / `text_rec_score_thresh` names.

Difference kept on purpose: a non-positive `text_det_*` size or threshold is refused, where PaddleX
would use the value in `text_det_params` but silently run with the model's own (`value or default`).
"""

from __future__ import annotations

NAMES = (
    "use_doc_orientation_classify", "use_doc_unwarping", "use_textline_orientation",
    "text_det_limit_side_len", "text_det_limit_type", "text_det_max_side_limit", "text_det_thresh",
    "text_det_box_thresh", "text_det_unclip_ratio", "text_rec_score_thresh", "return_word_box",
)
_DET = ("text_det_limit_side_len", "text_det_limit_type", "text_det_max_side_limit", "text_det_thresh",
        "text_det_box_thresh", "text_det_unclip_ratio", "text_rec_score_thresh")
_LIMIT_TYPES = ("min", "max", "resize_long")


def unknown_message(names, pipeline: str = "OCR") -> str:
    return (f"unknown predict parameter(s) {', '.join(sorted(names))} for the {pipeline} pipeline; "
            f"accepted (PaddleX's names): {', '.join(NAMES)}")


def resolve(params: dict, call: dict, *, has_textline: bool, has_doc_ori: bool, has_doc_unwarp: bool = False) -> dict:
    """The pipeline params with `call` applied; ValueError says which value is wrong and the fix."""
    call = {k: v for k, v in call.items() if v is not None}
    unknown = set(call) - set(NAMES)
    if unknown:
        raise ValueError(unknown_message(unknown))
    for key in ("use_doc_orientation_classify", "use_doc_unwarping", "use_textline_orientation", "return_word_box"):
        if key in call and not isinstance(call[key], bool):
            raise ValueError(f"{key} must be True, False or None, got {call[key]!r}")
    if "text_det_limit_type" in call and call["text_det_limit_type"] not in _LIMIT_TYPES:
        raise ValueError(f"text_det_limit_type must be one of {', '.join(_LIMIT_TYPES)}, "
                         f"got {call['text_det_limit_type']!r}")
    p = dict(params)
    p.update({k: call[k] for k in (*_DET, "return_word_box") if k in call})

    orientation, unwarping = call.get("use_doc_orientation_classify"), call.get("use_doc_unwarping")
    if orientation is not None or unwarping is not None:
        use_doc_preprocessor = bool(orientation or unwarping)
        if use_doc_preprocessor and not params["use_doc_preprocessor"]:
            given = "use_doc_orientation_classify" if orientation else "use_doc_unwarping"
            raise ValueError(f"{given}=True: this bundle's OCR pipeline has no document "
                             "preprocessor; fix: compile from a config with use_doc_preprocessor and "
                             "SubPipelines.DocPreprocessor, or leave it unset")
        if orientation and not has_doc_ori:
            raise ValueError("use_doc_orientation_classify=True: this bundle has no document orientation model; "
                             "fix: compile with SubModules.DocOrientationClassify, or leave it unset")
        p["use_doc_preprocessor"] = use_doc_preprocessor
        p["use_doc_orientation_classify"] = use_doc_preprocessor and bool(
            orientation if orientation is not None else params["use_doc_orientation_classify"])
        if unwarping and not has_doc_unwarp:
            raise ValueError("use_doc_unwarping=True: this bundle has no document unwarping model; fix: compile "
                             "with SubPipelines.DocPreprocessor.use_doc_unwarping and SubModules.DocUnwarping "
                             "(UVDoc), or leave it unset")
        p["use_doc_unwarping"] = use_doc_preprocessor and bool(
            unwarping if unwarping is not None else params.get("use_doc_unwarping", False))

    if "use_textline_orientation" in call:
        if call["use_textline_orientation"] and not has_textline:
            raise ValueError("use_textline_orientation=True: this bundle has no text line orientation model; "
                             "fix: compile from a config with SubModules.TextLineOrientation "
                             "(e.g. fetch_models' OCR-textline.yaml), or leave it unset")
        p["use_textline_orientation"] = call["use_textline_orientation"]
    return p


# PaddleX 3.7.2's per-call seal_recognition parameters (`_SealRecognitionPipeline.predict`) that reach its
# seal OCR, by the OCR name they are handed on as.
SEAL_TO_OCR = {"seal_det_limit_side_len": "text_det_limit_side_len", "seal_det_limit_type": "text_det_limit_type",
               "seal_det_thresh": "text_det_thresh", "seal_det_box_thresh": "text_det_box_thresh",
               "seal_det_unclip_ratio": "text_det_unclip_ratio", "seal_rec_score_thresh": "text_rec_score_thresh"}
# The seal pipeline's own per-call parameters: the document preprocessor's switches (PaddleX hands them to its
# doc_preprocessor sub-pipeline) and layout detection's.
SEAL_DOC = ("use_doc_orientation_classify", "use_doc_unwarping")
SEAL_LAYOUT = ("use_layout_detection", "layout_threshold", "layout_nms", "layout_unclip_ratio",
               "layout_merge_bboxes_mode")
# PaddleX's external layout results (DetResult objects from another run) are not taken.
_SEAL_REFUSED = ("layout_det_res",)
SEAL_NAMES = (*SEAL_DOC, *SEAL_LAYOUT, *_SEAL_REFUSED, *SEAL_TO_OCR)
_MERGE_MODES = ("union", "large", "small")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_layout(call: dict) -> dict:
    """The layout parameters of a call, checked as PaddleX's DetPredictor takes them; ValueError names a bad one.
    layout_unclip_ratio comes back as [w, h] (a float means both, as PaddleX's post-processing reads it)."""
    out = dict(call)
    for key in ("use_layout_detection", "layout_nms"):
        if key in call and not isinstance(call[key], bool):
            raise ValueError(f"{key} must be True, False or None, got {call[key]!r}")
    if "layout_threshold" in call:
        value = call["layout_threshold"]
        if isinstance(value, dict):
            if not all(_number(v) and not isinstance(k, bool) and str(k).lstrip("-").isdigit() for k, v in value.items()):
                raise ValueError(f"layout_threshold as a map must be {{class id: number}}, got {value!r}")
            out["layout_threshold"] = {int(k): float(v) for k, v in value.items()}
        elif not _number(value):
            raise ValueError(f"layout_threshold must be a number or a {{class id: number}} map, got {value!r}")
    if "layout_unclip_ratio" in call:
        value = call["layout_unclip_ratio"]
        if isinstance(value, float):  # 0.0: the pipeline's, as PaddleX's `value or the pipeline's`
            out["layout_unclip_ratio"] = [value, value] if value else None
        elif isinstance(value, (list, tuple)) and len(value) == 2 and all(map(_number, value)):
            out["layout_unclip_ratio"] = [float(v) for v in value]
        else:  # PaddleX raises on an int too; its per-class map is not ported
            raise ValueError(f"layout_unclip_ratio must be a float or a (width, height) pair, got {value!r}")
    if "layout_merge_bboxes_mode" in call and call["layout_merge_bboxes_mode"] not in _MERGE_MODES:
        raise ValueError(f"layout_merge_bboxes_mode must be one of {', '.join(_MERGE_MODES)} (per-class maps are "
                         f"not ported), got {call['layout_merge_bboxes_mode']!r}")
    return out


def split_seal(call: dict) -> tuple[dict, dict, dict]:
    """A seal_recognition `predict()` call's parameters (None: the bundle's value, left out here) as
    (document preprocessor switches, layout parameters, the seal OCR's parameters under the OCR names);
    ValueError names a parameter this pipeline does not take or a bad value."""
    call = {k: v for k, v in call.items() if v is not None}
    unknown = sorted(set(call) - set(SEAL_NAMES))
    if unknown:
        raise ValueError(f"unknown predict parameter(s) {', '.join(unknown)} for the seal_recognition pipeline; "
                         f"accepted (PaddleX's names): {', '.join(n for n in SEAL_NAMES if n not in _SEAL_REFUSED)}")
    if "layout_det_res" in call:
        raise ValueError("layout_det_res (layout results from elsewhere) is not taken by hpi's seal_recognition; "
                         "fix: leave it unset (the bundle's layout model runs) or use_layout_detection=False")
    for key in SEAL_DOC:
        if key in call and not isinstance(call[key], bool):
            raise ValueError(f"{key} must be True, False or None, got {call[key]!r}")
    layout = _check_layout({k: call[k] for k in SEAL_LAYOUT if k in call})
    return ({k: call[k] for k in SEAL_DOC if k in call},
            {k: v for k, v in layout.items() if v is not None},
            {SEAL_TO_OCR[k]: v for k, v in call.items() if k in SEAL_TO_OCR})


# PaddleX 3.7.2's per-call formula_recognition parameters (`_FormulaRecognitionPipeline.predict`).
FORMULA_NAMES = (*SEAL_DOC, *SEAL_LAYOUT, "layout_det_res")


def split_formula(call: dict) -> tuple[dict, dict]:
    """A formula_recognition `predict()` call's parameters (None: the bundle's value, left out here) as
    (document preprocessor switches, layout parameters); ValueError names a parameter this pipeline does not
    take or a bad value. PaddleX's predict swallows unknown names (**kwargs); here they are refused."""
    call = {k: v for k, v in call.items() if v is not None}
    unknown = sorted(set(call) - set(FORMULA_NAMES))
    if unknown:
        raise ValueError(f"unknown predict parameter(s) {', '.join(unknown)} for the formula_recognition pipeline; "
                         f"accepted (PaddleX's names): {', '.join(n for n in FORMULA_NAMES if n != 'layout_det_res')}")
    if "layout_det_res" in call:
        raise ValueError("layout_det_res (layout results from elsewhere) is not taken by hpi's formula_recognition; "
                         "fix: leave it unset (the bundle's layout model runs) or use_layout_detection=False")
    for key in SEAL_DOC:
        if key in call and not isinstance(call[key], bool):
            raise ValueError(f"{key} must be True, False or None, got {call[key]!r}")
    layout = _check_layout({k: call[k] for k in SEAL_LAYOUT if k in call})
    return {k: call[k] for k in SEAL_DOC if k in call}, {k: v for k, v in layout.items() if v is not None}


# PaddleX 3.7.2's per-call table_recognition parameters (`_TableRecognitionPipeline.predict`): the document
# preprocessor's switches, use_layout_detection, the GeneralOCR's text_det_* / text_rec_score_thresh (no
# text_det_max_side_limit: PaddleX's predict does not hand it on) and the table's own two.
TABLE_OCR = ("text_det_limit_side_len", "text_det_limit_type", "text_det_thresh", "text_det_box_thresh",
             "text_det_unclip_ratio", "text_rec_score_thresh")
TABLE_OWN = ("use_ocr_results_with_table_cells", "cell_sort_by_y_projection")
# use_ocr_model=False needs PaddleX's overall_ocr_res (an OCRResult from another run), which, like
# layout_det_res, is not taken.
_TABLE_REFUSED = ("overall_ocr_res", "layout_det_res")
TABLE_NAMES = (*SEAL_DOC, "use_layout_detection", "use_ocr_model", *TABLE_OCR, *TABLE_OWN, *_TABLE_REFUSED)


def split_table(call: dict) -> tuple[dict, dict, dict, dict]:
    """A table_recognition `predict()` call's parameters (None: the bundle's value, left out here) as
    (document preprocessor switches, layout parameters, GeneralOCR parameters, the table's own); ValueError
    names a parameter this pipeline does not take or a bad value. PaddleX's predict swallows unknown names
    (**kwargs); here they are refused."""
    call = {k: v for k, v in call.items() if v is not None}
    unknown = sorted(set(call) - set(TABLE_NAMES))
    if unknown:
        raise ValueError(f"unknown predict parameter(s) {', '.join(unknown)} for the table_recognition pipeline; "
                         f"accepted (PaddleX's names): {', '.join(n for n in TABLE_NAMES if n not in _TABLE_REFUSED)}")
    for key in _TABLE_REFUSED:
        if key in call:
            raise ValueError(f"{key} (results from another run) is not taken by hpi's table_recognition; fix: leave "
                             "it unset (the bundle's own models run)")
    if call.get("use_ocr_model") is False:
        raise ValueError("use_ocr_model=False needs overall_ocr_res, which hpi's table_recognition does not take; "
                         "fix: leave use_ocr_model unset or True")
    for key in (*SEAL_DOC, *TABLE_OWN):
        if key in call and not isinstance(call[key], bool):
            raise ValueError(f"{key} must be True, False or None, got {call[key]!r}")
    layout = _check_layout({k: call[k] for k in ("use_layout_detection",) if k in call})
    return ({k: call[k] for k in SEAL_DOC if k in call}, layout,
            {k: call[k] for k in TABLE_OCR if k in call}, {k: call[k] for k in TABLE_OWN if k in call})

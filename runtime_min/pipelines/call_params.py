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
# Branches hpi's seal pipeline does not have: False is what it does anyway, True is refused.
_SEAL_OFF = {"use_doc_orientation_classify": "the document preprocessor",
             "use_doc_unwarping": "the document preprocessor", "use_layout_detection": "layout detection"}
_SEAL_LAYOUT = ("layout_det_res", "layout_threshold", "layout_nms", "layout_unclip_ratio", "layout_merge_bboxes_mode")
SEAL_NAMES = (*_SEAL_OFF, *_SEAL_LAYOUT, *SEAL_TO_OCR)


def seal_to_ocr(call: dict) -> dict:
    """The seal OCR's per-call parameters for a seal_recognition `predict()` call (None: the bundle's value);
    ValueError names a parameter this pipeline does not take."""
    call = {k: v for k, v in call.items() if v is not None}
    unknown = sorted(set(call) - set(SEAL_NAMES))
    if unknown:
        raise ValueError(f"unknown predict parameter(s) {', '.join(unknown)} for the seal_recognition pipeline; "
                         f"accepted (PaddleX's names): {', '.join(SEAL_NAMES)}")
    for key, branch in _SEAL_OFF.items():
        if key in call and not isinstance(call[key], bool):
            raise ValueError(f"{key} must be True, False or None, got {call[key]!r}")
        if call.get(key):
            raise ValueError(f"{key}=True: hpi's seal_recognition pipeline runs without {branch}; "
                             "fix: leave it unset or False")
    layout = [k for k in _SEAL_LAYOUT if k in call]
    if layout:
        raise ValueError(f"{', '.join(layout)}: hpi's seal_recognition pipeline runs without layout detection; "
                         "fix: leave them unset")
    return {SEAL_TO_OCR[k]: v for k, v in call.items() if k in SEAL_TO_OCR}

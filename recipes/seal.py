"""Seal text recognition: PP-OCRv4 seal text detection models and PaddleX's seal_recognition pipeline.

The seal det models are DB text detectors (the text detection recipe's family and spec) whose
inference.yml asks for polygons (`PostProcess.box_type: poly`). The pipeline is PaddleX 3.7.2's
seal_recognition (pipelines/seal_recognition/pipeline.py): its SealOCR sub-pipeline is PaddleX's OCR
pipeline with `text_type: seal` (sort by top edge, curved crops). Before it, as in PaddleX, the document
preprocessor (SubPipelines.DocPreprocessor: PaddleX's doc_preprocessor pipeline, recipes/doc_preprocessor.py)
and layout detection (SubModules.LayoutDetection, a layout_detection model such as PP-DocLayout-L; its
`seal` boxes are cropped and read), each on unless the config sets it to False (PaddleX's defaults).
Every key PaddleX's seal pipeline reads is honoured; any other key is refused by name.
"""

from __future__ import annotations

from dataclasses import replace

from hpi.core.errors import CompileError
from hpi.core.specs import DetResizeSpec, SealParams
from hpi.recipes.base import PipelineRecipe, register_model, register_pipeline, transform_ops
from hpi.recipes.detection import merge_mode_value, threshold_value
from hpi.recipes.doc_preprocessor import DocPreprocessorRecipe
from hpi.recipes.ocr import TextDetectionRecipe

# PaddleX's OCR pipeline values for text_type "seal" when the SealOCR config leaves a key out
# (pipelines/ocr/pipeline.py; a SubModule's batch_size defaults to 1 in BasePipeline.create_model).
SEAL_UNSET_VALUES = {
    "text_det_limit_side_len": 736,
    "text_det_limit_type": "min",
    "text_det_max_side_limit": 4000,
    "text_det_thresh": 0.2,
    "text_det_box_thresh": 0.6,
    "text_det_unclip_ratio": 0.5,
    "text_rec_score_thresh": 0.0,
    "rec_batch_size": 1,
}


@register_model
class SealTextDetectionRecipe(TextDetectionRecipe):
    model_names = ("PP-OCRv4_server_seal_det", "PP-OCRv4_mobile_seal_det")

    @classmethod
    def runtime_spec(cls, config):
        spec = super().runtime_spec(config)
        resize = transform_ops(config, "text detection")["DetResizeForTest"]
        # Outside PaddleX's max-limit list: resize_long (default 736) with limit_type "min"
        # (text_detection/predictor.py, _get_text_det_resize_defaults).
        return replace(spec, resize=DetResizeSpec(limit_side_len=int(resize.get("resize_long", 736)),
                                                  limit_type=resize.get("limit_type", "min"), max_side_limit=4000))


# The keys PaddleX's seal pipeline (and the sub-pipelines and modules it creates) reads, per place in the
# config; any other key is refused by name. batch_size only groups inputs (results are per image), and
# PaddleX reads no `max_side_len` (the stock config's; its det reads max_side_limit), so both are inert.
_MODULE = ("module_name", "model_name", "model_dir", "batch_size")
_KNOWN_KEYS = {
    "": ("pipeline_name", "batch_size", "use_doc_preprocessor", "use_layout_detection", "SubModules",
         "SubPipelines"),
    "SubModules": ("LayoutDetection",),
    "SubPipelines": ("DocPreprocessor", "SealOCR"),
    "SubModules.LayoutDetection": (*_MODULE, "threshold", "layout_nms", "layout_unclip_ratio",
                                   "layout_merge_bboxes_mode"),
    "SubPipelines.SealOCR": ("pipeline_name", "batch_size", "text_type", "use_doc_preprocessor",
                             "use_textline_orientation", "SubModules"),
    "SubPipelines.SealOCR.SubModules": ("TextDetection", "TextRecognition"),
    "SubPipelines.SealOCR.SubModules.TextDetection": (*_MODULE, "limit_side_len", "limit_type", "max_side_limit",
                                                      "max_side_len", "thresh", "box_thresh", "unclip_ratio"),
    "SubPipelines.SealOCR.SubModules.TextRecognition": (*_MODULE, "score_thresh"),
}


def _at(config: dict, where: str):
    value = config
    for part in filter(None, where.split(".")):
        value = (value or {}).get(part) if isinstance(value, dict) else None
    return value


def check_keys(config: dict, known_keys: dict = _KNOWN_KEYS, pipeline: str = "seal_recognition") -> None:
    """Refuse, by name, a key the pipeline's PaddleX code does not read (`known_keys`: place → keys)."""
    for where, known in known_keys.items():
        section = _at(config, where)
        if section is None:
            continue
        if not isinstance(section, dict):
            raise CompileError(f"{pipeline} {where} must be a map, got {section!r}")
        unknown = sorted(set(section) - set(known))
        if unknown:
            raise CompileError(f"{pipeline} {'config' if not where else where} keys {unknown} are not read "
                               f"by PaddleX's {pipeline} pipeline (known: {', '.join(known)})")


def switch(config: dict, key: str, where: str = "", pipeline: str = "seal_recognition") -> bool:
    """PaddleX's `config.get(key, True)`, a boolean."""
    value = config.get(key, True)
    if not isinstance(value, bool):
        raise CompileError(f"{pipeline} {where}{key} must be true or false, got {value!r}")
    return value


def _seal_ocr(config: dict) -> dict:
    sub = (config.get("SubPipelines") or {}).get("SealOCR")
    if not sub:
        raise CompileError("a seal_recognition config needs SubPipelines.SealOCR (PaddleX's OCR pipeline with "
                           "text_type: seal)")
    return sub


def doc_preprocessor(config: dict, pipeline: str = "seal_recognition") -> dict | None:
    """SubPipelines.DocPreprocessor when `use_doc_preprocessor` is on (PaddleX: unless False), else None."""
    if not switch(config, "use_doc_preprocessor", pipeline=pipeline):
        return None
    sub = (config.get("SubPipelines") or {}).get("DocPreprocessor")
    if not sub:
        hint = "" if "use_doc_preprocessor" in config else "use_doc_preprocessor is not set, and PaddleX then turns it on; "
        raise CompileError(f"{hint}{pipeline} needs SubPipelines.DocPreprocessor (PaddleX's doc_preprocessor "
                           "pipeline); or set use_doc_preprocessor: False")
    if sub.get("pipeline_name", "doc_preprocessor") != "doc_preprocessor":
        raise CompileError(f"{pipeline} SubPipelines.DocPreprocessor.pipeline_name must be 'doc_preprocessor', "
                           f"got {sub.get('pipeline_name')!r}")
    return sub


def doc_modules(sub: dict, pipeline: str = "seal_recognition") -> dict[str, str]:
    try:
        return DocPreprocessorRecipe.modules_for(sub)
    except CompileError as exc:
        raise CompileError(f"{pipeline} SubPipelines.DocPreprocessor: {exc}") from None


def layout_detection(config: dict, pipeline: str = "seal_recognition") -> dict | None:
    """SubModules.LayoutDetection when `use_layout_detection` is on (PaddleX: unless False), else None."""
    if not switch(config, "use_layout_detection", pipeline=pipeline):
        return None
    module = (config.get("SubModules") or {}).get("LayoutDetection")
    if not module:
        hint = "" if "use_layout_detection" in config else "use_layout_detection is not set, and PaddleX then turns it on; "
        raise CompileError(f"{hint}{pipeline} needs SubModules.LayoutDetection (model_name, model_dir; e.g. "
                           "PP-DocLayout-L); or set use_layout_detection: False")
    return module


def layout_params(module: dict, spec: dict, pipeline: str = "seal_recognition") -> dict:
    """The layout model's effective post-processing in the pipeline, as PaddleX's DetPredictor resolves it:
    the pipeline config's threshold / layout_unclip_ratio / layout_merge_bboxes_mode where given (not None),
    else the model's inference.yml; layout_nms where true, else the model's."""
    post = spec.get("postprocess") or {}
    if post.get("name") != "DetPostProcess":
        raise CompileError(f"{pipeline} SubModules.LayoutDetection must be a layout detection model "
                           f"(DetPostProcess), got {post.get('name')!r}")
    where = "SubModules.LayoutDetection"
    threshold = post["threshold"] if module.get("threshold") is None else \
        threshold_value(module["threshold"], f"{where}.threshold")
    nms = module.get("layout_nms")
    if nms is not None and not isinstance(nms, bool):
        raise CompileError(f"{where}.layout_nms must be true or false, got {nms!r}")
    unclip = module.get("layout_unclip_ratio")
    if unclip is None:
        unclip = post["layout_unclip_ratio"]
    elif isinstance(unclip, float):
        unclip = [unclip, unclip]
    elif isinstance(unclip, (list, tuple)) and len(unclip) == 2 and \
            all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in unclip):
        unclip = [float(v) for v in unclip]
    else:  # PaddleX's DetPredictor raises on an int or a per-class map is not ported
        raise CompileError(f"{where}.layout_unclip_ratio must be a float or [w, h], got {unclip!r}")
    merge = module.get("layout_merge_bboxes_mode")
    merge = post["layout_merge_bboxes_mode"] if merge is None else \
        merge_mode_value(merge, f"{where}.layout_merge_bboxes_mode")
    return {"use_layout_detection": True, "layout_threshold": threshold,
            "layout_nms": bool(nms or post["layout_nms"]), "layout_unclip_ratio": unclip,
            "layout_merge_bboxes_mode": merge}


def doc_layout_params(config: dict, models: dict, pipeline: str = "seal_recognition") -> dict:
    """The SealParams fields of the document preprocessor and layout detection branches that are on (absent
    otherwise, so bundles without them stay as they were); shared with table_recognition."""
    optional = {}
    doc = doc_preprocessor(config, pipeline)
    if doc is not None:
        switches = DocPreprocessorRecipe.params(doc, models)
        # As the OCR pipeline's: the switch present with the preprocessor, unwarping only when on.
        optional.update(use_doc_preprocessor=True,
                        use_doc_orientation_classify=switches["use_doc_orientation_classify"])
        if switches["use_doc_unwarping"]:
            optional.update(use_doc_unwarping=True)
    layout = layout_detection(config, pipeline)
    if layout is not None:
        optional.update(layout_params(layout, models["layout_det"], pipeline))
    return optional


@register_pipeline
class SealRecognitionRecipe(PipelineRecipe):
    name = "seal_recognition"
    modules = {"TextDetection": "text_det", "TextRecognition": "text_rec", "LayoutDetection": "layout_det",
               "DocOrientationClassify": "doc_ori", "DocUnwarping": "doc_unwarp"}

    @classmethod
    def module_config(cls, config, key):
        if key in ("TextDetection", "TextRecognition"):
            return (f"SubPipelines.SealOCR.SubModules.{key}",
                    (_seal_ocr(config).get("SubModules") or {}).get(key))
        if key in ("DocOrientationClassify", "DocUnwarping"):
            sub = (config.get("SubPipelines") or {}).get("DocPreprocessor") or {}
            return (f"SubPipelines.DocPreprocessor.SubModules.{key}", (sub.get("SubModules") or {}).get(key))
        return super().module_config(config, key)

    @classmethod
    def modules_for(cls, config):
        check_keys(config)
        modules = {}
        doc = doc_preprocessor(config)
        if doc is not None:
            modules.update(doc_modules(doc))
        if layout_detection(config) is not None:
            modules["LayoutDetection"] = "layout_det"
        sub = _seal_ocr(config)
        if sub.get("pipeline_name", "OCR") != "OCR":
            raise CompileError(f"SubPipelines.SealOCR.pipeline_name must be 'OCR', got {sub.get('pipeline_name')!r}")
        if sub.get("text_type") != "seal":
            raise CompileError(f"SubPipelines.SealOCR.text_type must be 'seal', got {sub.get('text_type')!r}")
        if sub.get("use_doc_preprocessor", True):
            raise CompileError("SubPipelines.SealOCR.use_doc_preprocessor (on unless set to False) is not "
                               "supported: set it to False")
        if sub.get("use_textline_orientation", True):
            raise CompileError("SubPipelines.SealOCR.use_textline_orientation (on unless set to False) is not "
                               "supported: set it to False")
        modules.update(TextDetection="text_det", TextRecognition="text_rec")
        return modules

    @classmethod
    def params(cls, config, models):
        optional = doc_layout_params(config, models)
        sub = _seal_ocr(config)
        det = sub["SubModules"]["TextDetection"]
        rec = sub["SubModules"]["TextRecognition"]
        if models["text_det"]["postprocess"]["box_type"] != "poly":
            raise CompileError("the seal pipeline's text detection model must give polygons (inference.yml "
                               "PostProcess.box_type: poly), as PaddleX's seal det models do")
        unset = SEAL_UNSET_VALUES
        # PaddleX reads max_side_limit; the stock config's max_side_len is not read by PaddleX either.
        return SealParams(
            text_det_limit_side_len=int(det.get("limit_side_len", unset["text_det_limit_side_len"])),
            text_det_limit_type=det.get("limit_type", unset["text_det_limit_type"]),
            text_det_max_side_limit=int(det.get("max_side_limit", unset["text_det_max_side_limit"])),
            text_det_thresh=float(det.get("thresh", unset["text_det_thresh"])),
            text_det_box_thresh=float(det.get("box_thresh", unset["text_det_box_thresh"])),
            text_det_unclip_ratio=float(det.get("unclip_ratio", unset["text_det_unclip_ratio"])),
            text_rec_score_thresh=float(rec.get("score_thresh", unset["text_rec_score_thresh"])),
            rec_batch_size=int(rec.get("batch_size", unset["rec_batch_size"])),
            **optional,
        ).to_dict()

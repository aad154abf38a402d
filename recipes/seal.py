"""Seal text recognition: PP-OCRv4 seal text detection models and PaddleX's seal_recognition pipeline.

The seal det models are DB text detectors (the text detection recipe's family and spec) whose
inference.yml asks for polygons (`PostProcess.box_type: poly`). The pipeline is PaddleX 3.7.2's
seal_recognition (pipelines/seal_recognition/pipeline.py): its SealOCR sub-pipeline is PaddleX's OCR
pipeline with `text_type: seal` (sort by top edge, curved crops); layout detection and the document
preprocessor are not supported and must be turned off in the config.
"""

from __future__ import annotations

from dataclasses import replace

from hpi.core.errors import CompileError
from hpi.core.specs import DetResizeSpec, OcrParams
from hpi.recipes.base import PipelineRecipe, register_model, register_pipeline, transform_ops
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


def _seal_ocr(config: dict) -> dict:
    sub = (config.get("SubPipelines") or {}).get("SealOCR")
    if not sub:
        raise CompileError("a seal_recognition config needs SubPipelines.SealOCR (PaddleX's OCR pipeline with "
                           "text_type: seal)")
    return sub


@register_pipeline
class SealRecognitionRecipe(PipelineRecipe):
    name = "seal_recognition"
    modules = {"TextDetection": "text_det", "TextRecognition": "text_rec"}

    @classmethod
    def module_config(cls, config, key):
        return (f"SubPipelines.SealOCR.SubModules.{key}",
                (_seal_ocr(config).get("SubModules") or {}).get(key))

    @classmethod
    def modules_for(cls, config):
        # PaddleX's defaults: both on unless the config turns them off.
        if config.get("use_layout_detection", True):
            raise CompileError("seal_recognition use_layout_detection (on unless set to False) is not supported: "
                               "set use_layout_detection: False")
        if config.get("use_doc_preprocessor", True):
            raise CompileError("seal_recognition use_doc_preprocessor (on unless set to False) is not supported: "
                               "set use_doc_preprocessor: False")
        sub = _seal_ocr(config)
        if sub.get("text_type") != "seal":
            raise CompileError(f"SubPipelines.SealOCR.text_type must be 'seal', got {sub.get('text_type')!r}")
        if sub.get("use_doc_preprocessor", True):
            raise CompileError("SubPipelines.SealOCR.use_doc_preprocessor (on unless set to False) is not "
                               "supported: set it to False")
        if sub.get("use_textline_orientation", True):
            raise CompileError("SubPipelines.SealOCR.use_textline_orientation (on unless set to False) is not "
                               "supported: set it to False")
        return dict(cls.modules)

    @classmethod
    def params(cls, config, models):
        sub = _seal_ocr(config)
        det = sub["SubModules"]["TextDetection"]
        rec = sub["SubModules"]["TextRecognition"]
        if models["text_det"]["postprocess"]["box_type"] != "poly":
            raise CompileError("the seal pipeline's text detection model must give polygons (inference.yml "
                               "PostProcess.box_type: poly), as PaddleX's seal det models do")
        unset = SEAL_UNSET_VALUES
        # PaddleX reads max_side_limit; the stock config's max_side_len is not read by PaddleX either.
        return OcrParams(
            text_det_limit_side_len=int(det.get("limit_side_len", unset["text_det_limit_side_len"])),
            text_det_limit_type=det.get("limit_type", unset["text_det_limit_type"]),
            text_det_max_side_limit=int(det.get("max_side_limit", unset["text_det_max_side_limit"])),
            text_det_thresh=float(det.get("thresh", unset["text_det_thresh"])),
            text_det_box_thresh=float(det.get("box_thresh", unset["text_det_box_thresh"])),
            text_det_unclip_ratio=float(det.get("unclip_ratio", unset["text_det_unclip_ratio"])),
            text_rec_score_thresh=float(rec.get("score_thresh", unset["text_rec_score_thresh"])),
            rec_batch_size=int(rec.get("batch_size", unset["rec_batch_size"])),
        ).to_dict()

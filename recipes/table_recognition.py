"""PaddleX 3.7.2's table_recognition pipeline (v1, pipelines/table_recognition/pipeline.py).

[document preprocessor] -> GeneralOCR on the page -> [layout detection -> each `table` box] -> the table
structure model (SLANet / SLANet_plus, recipes/table_structure.py) on the crop -> PaddleX's matching of OCR
lines to cells and HTML assembly (runtime_min/ops/table_recognition.py). The document preprocessor and layout
detection are the seal pipeline's (recipes/seal.py: on unless the config sets them to False, PaddleX's
defaults); GeneralOCR is PaddleX's OCR pipeline (recipes/ocr.py's OcrRecipe.params, text_type general) with its
own document preprocessor and text line orientation off. The bundle's params are SealParams: the GeneralOCR's
OcrParams plus the document preprocessor and layout fields. Every key PaddleX's table pipeline reads is honoured;
any other key is refused by name.
"""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.core.specs import SealParams
from hpi.recipes.base import PipelineRecipe, register_pipeline
from hpi.recipes.ocr import OcrRecipe
from hpi.recipes.seal import check_keys, doc_layout_params, doc_modules, doc_preprocessor, layout_detection, switch

NAME = "table_recognition"
_MODULE = ("module_name", "model_name", "model_dir", "batch_size")
_KNOWN_KEYS = {
    "": ("pipeline_name", "batch_size", "use_doc_preprocessor", "use_layout_detection", "use_ocr_model",
         "SubModules", "SubPipelines"),
    "SubModules": ("LayoutDetection", "TableStructureRecognition"),
    "SubPipelines": ("DocPreprocessor", "GeneralOCR"),
    "SubModules.LayoutDetection": (*_MODULE, "threshold", "layout_nms", "layout_unclip_ratio",
                                   "layout_merge_bboxes_mode"),
    "SubModules.TableStructureRecognition": _MODULE,
    "SubPipelines.GeneralOCR": ("pipeline_name", "batch_size", "text_type", "use_doc_preprocessor",
                                "use_textline_orientation", "SubModules"),
    "SubPipelines.GeneralOCR.SubModules": ("TextDetection", "TextRecognition"),
    "SubPipelines.GeneralOCR.SubModules.TextDetection": (*_MODULE, "limit_side_len", "limit_type",
                                                         "max_side_limit", "thresh", "box_thresh", "unclip_ratio"),
    "SubPipelines.GeneralOCR.SubModules.TextRecognition": (*_MODULE, "score_thresh"),
}


def general_ocr(config: dict) -> dict:
    """SubPipelines.GeneralOCR, checked: PaddleX's OCR pipeline without its own preprocessor and text line
    orientation (the stock config's)."""
    if not switch(config, "use_ocr_model", pipeline=NAME):
        raise CompileError("table_recognition use_ocr_model: False is not supported (PaddleX then needs an "
                           "overall_ocr_res on every call); fix: set use_ocr_model: True with SubPipelines.GeneralOCR")
    sub = (config.get("SubPipelines") or {}).get("GeneralOCR")
    if not sub:
        raise CompileError("a table_recognition config needs SubPipelines.GeneralOCR (PaddleX's OCR pipeline)")
    if sub.get("pipeline_name", "OCR") != "OCR":
        raise CompileError(f"SubPipelines.GeneralOCR.pipeline_name must be 'OCR', got {sub.get('pipeline_name')!r}")
    for key in ("use_doc_preprocessor", "use_textline_orientation"):
        if sub.get(key, True):
            raise CompileError(f"SubPipelines.GeneralOCR.{key} (on unless set to False) is not supported in "
                               "table_recognition: set it to False")
    return sub


def sub_pipeline_module(config: dict, key: str):
    """(where, settings) of a module the table pipelines (v1 and v2) read from a sub-pipeline: GeneralOCR's text
    detection and recognition, DocPreprocessor's orientation and unwarping; None for their own SubModules."""
    for pipeline, keys in (("GeneralOCR", ("TextDetection", "TextRecognition")),
                           ("DocPreprocessor", ("DocOrientationClassify", "DocUnwarping"))):
        if key in keys:
            sub = (config.get("SubPipelines") or {}).get(pipeline) or {}
            return f"SubPipelines.{pipeline}.SubModules.{key}", (sub.get("SubModules") or {}).get(key)
    return None


@register_pipeline
class TableRecognitionRecipe(PipelineRecipe):
    name = NAME
    modules = {"TextDetection": "text_det", "TextRecognition": "text_rec", "LayoutDetection": "layout_det",
               "TableStructureRecognition": "table_structure", "DocOrientationClassify": "doc_ori",
               "DocUnwarping": "doc_unwarp"}

    @classmethod
    def module_config(cls, config, key):
        return sub_pipeline_module(config, key) or super().module_config(config, key)

    @classmethod
    def modules_for(cls, config):
        check_keys(config, _KNOWN_KEYS, NAME)
        modules = {}
        doc = doc_preprocessor(config, NAME)
        if doc is not None:
            modules.update(doc_modules(doc, NAME))
        if layout_detection(config, NAME) is not None:
            modules["LayoutDetection"] = "layout_det"
        if not (config.get("SubModules") or {}).get("TableStructureRecognition"):
            raise CompileError("a table_recognition config needs SubModules.TableStructureRecognition (model_name, "
                               "model_dir; e.g. SLANet_plus)")
        general_ocr(config)
        modules.update(TableStructureRecognition="table_structure", TextDetection="text_det",
                       TextRecognition="text_rec")
        return modules

    @classmethod
    def params(cls, config, models):
        if (models["table_structure"].get("postprocess") or {}).get("name") != "TableLabelDecode":
            raise CompileError("table_recognition SubModules.TableStructureRecognition must be a table structure "
                               "model (SLANet, SLANet_plus)")
        ocr = OcrRecipe.params(general_ocr(config), models)
        if models["text_det"]["postprocess"]["box_type"] != "quad":
            raise CompileError("table_recognition's GeneralOCR needs a quad text detector (PaddleX's general text)")
        return SealParams(**ocr, **doc_layout_params(config, models, NAME)).to_dict()

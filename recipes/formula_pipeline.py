"""PaddleX 3.7.2's formula_recognition pipeline (pipelines/formula_recognition/pipeline.py).

The document preprocessor (SubPipelines.DocPreprocessor, PaddleX's doc_preprocessor pipeline) and layout
detection (SubModules.LayoutDetection, e.g. PP-DocLayout_plus-L, its `formula` boxes cropped), each on unless
the config sets it to False (PaddleX's defaults), then SubModules.FormulaRecognition (a PP-FormulaNet model) on
every crop, or on the whole page without layout detection. The pipeline shares its name with the single formula
model family's bundles (recipes/formula_recognition.py); the runtime tells them apart by the model roles
(this pipeline's model is `formula_rec`). Every key PaddleX's pipeline reads is honoured; any other is refused.
"""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.core.specs import FormulaPipelineParams
from hpi.recipes.base import PipelineRecipe, register_pipeline
from hpi.recipes.seal import _MODULE, check_keys, doc_layout_params, doc_modules, doc_preprocessor, layout_detection

PIPELINE = "formula_recognition"
_KNOWN_KEYS = {
    "": ("pipeline_name", "batch_size", "use_doc_preprocessor", "use_layout_detection", "SubModules",
         "SubPipelines"),
    "SubModules": ("LayoutDetection", "FormulaRecognition"),
    "SubPipelines": ("DocPreprocessor",),
    "SubModules.LayoutDetection": (*_MODULE, "threshold", "layout_nms", "layout_unclip_ratio",
                                   "layout_merge_bboxes_mode"),
    "SubModules.FormulaRecognition": _MODULE,
}


@register_pipeline
class FormulaRecognitionPipelineRecipe(PipelineRecipe):
    name = PIPELINE
    modules = {"FormulaRecognition": "formula_rec", "LayoutDetection": "layout_det",
               "DocOrientationClassify": "doc_ori", "DocUnwarping": "doc_unwarp"}

    @classmethod
    def module_config(cls, config, key):
        if key in ("DocOrientationClassify", "DocUnwarping"):
            sub = (config.get("SubPipelines") or {}).get("DocPreprocessor") or {}
            return (f"SubPipelines.DocPreprocessor.SubModules.{key}", (sub.get("SubModules") or {}).get(key))
        return super().module_config(config, key)

    @classmethod
    def modules_for(cls, config):
        check_keys(config, _KNOWN_KEYS, PIPELINE)
        modules = {}
        doc = doc_preprocessor(config, PIPELINE)
        if doc is not None:
            modules.update(doc_modules(doc, PIPELINE))
        if layout_detection(config, PIPELINE) is not None:
            modules["LayoutDetection"] = "layout_det"
        if not (config.get("SubModules") or {}).get("FormulaRecognition"):
            raise CompileError("a formula_recognition config needs SubModules.FormulaRecognition (model_name, "
                               "model_dir; e.g. PP-FormulaNet_plus-M)")
        modules["FormulaRecognition"] = "formula_rec"
        return modules

    @classmethod
    def params(cls, config, models):
        if models["formula_rec"].get("postprocess", {}).get("name") != "UniMERNetDecode":
            raise CompileError("formula_recognition SubModules.FormulaRecognition must be a formula recognition "
                               "model (PP-FormulaNet)")
        batch = config["SubModules"]["FormulaRecognition"].get("batch_size", 1)
        if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
            raise CompileError(f"formula_recognition SubModules.FormulaRecognition.batch_size must be a positive "
                               f"integer, got {batch!r}")
        return FormulaPipelineParams(formula_batch_size=batch,
                                     **doc_layout_params(config, models, PIPELINE)).to_dict()

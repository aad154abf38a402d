"""PaddleX 3.7.2's PP-StructureV3 pipeline (layout_parsing v2, pipelines/layout_parsing/pipeline_v2.py).

[document preprocessor] -> layout detection (SubModules.LayoutDetection, e.g. PP-DocLayout_plus-L, with the
config's per-class thresholds and merge modes) -> [region detection (SubModules.RegionDetection,
PP-DocBlockLayout)] -> GeneralOCR (PaddleX's OCR pipeline, recipes/ocr.py) -> [seal recognition (SubPipelines.
SealRecognition's SealOCR, recipes/seal.py) on each `seal` box] -> PaddleX's page assembly and reading order
(runtime_min/ops/layout_parsing). Switches as PaddleX reads them: the document preprocessor runs unless all of
use_doc_preprocessor, use_doc_orientation_classify and use_doc_unwarping are False (the stock config sets only the
first, so it runs); use_region_detection, use_seal_recognition, use_table_recognition and use_formula_recognition
are on unless False, use_chart_recognition off unless True.

Table recognition runs SubPipelines.TableRecognition (PaddleX's table_recognition_v2: its six SubModules and its
own GeneralOCR, which reads split cells and turned tables) and formula recognition SubPipelines.FormulaRecognition's
FormulaRecognition model (PP-FormulaNet) on the layout's `formula` boxes: PaddleX calls both with the page's layout
result and their own preprocessor, layout detection and OCR off, so those keys of theirs never run. Chart
recognition (PP-Chart2Table, a vision-language model) is refused when on. The bundle's params: model_settings
(PaddleX's), ocr (the GeneralOCR's OcrParams), layout and region (each detector's effective post-processing),
doc_preprocessor (its switches), seal (the SealOCR's SealParams), table_ocr (the table pipeline's GeneralOCR's
OcrParams).
"""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.recipes.base import PipelineRecipe, register_pipeline
from hpi.recipes.doc_preprocessor import DocPreprocessorRecipe
from hpi.recipes.ocr import OcrRecipe
from hpi.recipes.seal import SealRecognitionRecipe, layout_params
from hpi.recipes.table_recognition_v2 import TABLE_MODULES

NAME = "PP-StructureV3"
MARKDOWN_IGNORE_LABELS = ["number", "footnote", "header", "header_image", "footer", "footer_image", "aside_text"]
# Switch -> (PaddleX's default, why hpi refuses it on, or None when supported).
_SWITCHES = {
    "use_region_detection": (True, None),
    "use_seal_recognition": (True, None),
    "use_table_recognition": (True, None),
    "use_formula_recognition": (True, None),
    "use_chart_recognition": (False, "chart recognition runs PP-Chart2Table, a vision-language model hpi does not "
                                     "compile"),
    "format_block_content": (False, None),
}
_OCR_KEYS = {"TextDetection": "text_det", "TextRecognition": "text_rec", "TextLineOrientation": "textline_ori"}
_SEAL_KEYS = {"SealTextDetection": "seal_det", "SealTextRecognition": "seal_rec"}
_DOC_KEYS = {"DocOrientationClassify": "doc_ori", "DocUnwarping": "doc_unwarp"}
_TABLE_KEYS = {key: role for key, (role, _) in TABLE_MODULES.items()}
_TABLE_OCR_KEYS = {f"Table{key}": f"table_{role}" for key, role in _OCR_KEYS.items()}
_FORMULA_KEYS = {"FormulaRecognition": "formula_rec"}


def _switch(config: dict, key: str) -> bool:
    value = config.get(key, _SWITCHES[key][0])
    if not isinstance(value, bool):
        raise CompileError(f"{NAME} {key} must be true or false, got {value!r}")
    return value


def _sub(config: dict, name: str, pipeline: str) -> dict:
    sub = (config.get("SubPipelines") or {}).get(name)
    if not sub:
        raise CompileError(f"a {NAME} config needs SubPipelines.{name} (PaddleX's {pipeline} pipeline)")
    if sub.get("pipeline_name", pipeline) != pipeline:
        raise CompileError(f"{NAME} SubPipelines.{name}.pipeline_name must be {pipeline!r}, got "
                           f"{sub.get('pipeline_name')!r}")
    return sub


def _general_ocr(config: dict) -> dict:
    sub = _sub(config, "GeneralOCR", "OCR")
    if sub.get("use_doc_preprocessor", True):
        raise CompileError(f"{NAME} SubPipelines.GeneralOCR.use_doc_preprocessor (on unless set to False) is not "
                           "supported: set it to False (the pipeline's own document preprocessor runs first)")
    return sub


def _use_doc_preprocessor(config: dict) -> bool:
    """PaddleX: on unless use_doc_preprocessor, use_doc_orientation_classify and use_doc_unwarping are all False."""
    return any(config.get(key, True) for key in ("use_doc_preprocessor", "use_doc_orientation_classify",
                                                 "use_doc_unwarping"))


def _seal_sub(config: dict) -> dict:
    """SubPipelines.SealRecognition's SealOCR, as a seal_recognition config of its own: PaddleX calls it with
    layout detection and the preprocessor off (on the page's `seal` boxes), so those branches never run."""
    sub = _sub(config, "SealRecognition", "seal_recognition")
    return {**sub, "use_doc_preprocessor": False, "use_layout_detection": False}


def _table_sub(config: dict) -> dict:
    """SubPipelines.TableRecognition with its six SubModules (PaddleX creates them all; the orientation model on
    the first call, as use_table_orientation_classify is on by default)."""
    sub = _sub(config, "TableRecognition", "table_recognition_v2")
    subs = sub.get("SubModules") or {}
    for key, (_, module_name) in TABLE_MODULES.items():
        if not subs.get(key):
            raise CompileError(f"{NAME} SubPipelines.TableRecognition needs SubModules.{key} (module_name "
                               f"{module_name}, model_name, model_dir), as PaddleX's stock PP-StructureV3.yaml has")
        if subs[key].get("module_name", module_name) != module_name:
            raise CompileError(f"{NAME} SubPipelines.TableRecognition.SubModules.{key}.module_name must be "
                               f"{module_name!r}, got {subs[key].get('module_name')!r}")
    return sub


def _table_ocr(config: dict) -> dict:
    """The table pipeline's own GeneralOCR: PaddleX reads split table cells with its recognizer and a turned
    table's page with all of it."""
    sub = (_table_sub(config).get("SubPipelines") or {}).get("GeneralOCR")
    if not sub:
        raise CompileError(f"{NAME} SubPipelines.TableRecognition needs SubPipelines.GeneralOCR (PaddleX's OCR "
                           "pipeline: it reads turned tables and split cells)")
    if sub.get("pipeline_name", "OCR") != "OCR":
        raise CompileError(f"{NAME} SubPipelines.TableRecognition.SubPipelines.GeneralOCR.pipeline_name must be "
                           f"'OCR', got {sub.get('pipeline_name')!r}")
    if sub.get("use_doc_preprocessor", True):
        raise CompileError(f"{NAME} SubPipelines.TableRecognition.SubPipelines.GeneralOCR.use_doc_preprocessor "
                           "(on unless set to False) is not supported: set it to False")
    return sub


def _formula_sub(config: dict) -> dict:
    sub = _sub(config, "FormulaRecognition", "formula_recognition")
    if not (sub.get("SubModules") or {}).get("FormulaRecognition"):
        raise CompileError(f"{NAME} SubPipelines.FormulaRecognition needs SubModules.FormulaRecognition "
                           "(model_name, model_dir; e.g. PP-FormulaNet_plus-L)")
    return sub


def _json_keys(value):
    """A per-class map with the string keys the manifest's canonical JSON holds (the runtime reads them back)."""
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


def _module(config: dict, where: str):
    value = config
    for part in where.split("."):
        value = (value or {}).get(part) if isinstance(value, dict) else None
    return where, value


@register_pipeline
class PPStructureV3Recipe(PipelineRecipe):
    name = NAME
    modules = {"LayoutDetection": "layout_det", "RegionDetection": "region_det", **_OCR_KEYS, **_SEAL_KEYS,
               **_DOC_KEYS, **_TABLE_KEYS, **_TABLE_OCR_KEYS, **_FORMULA_KEYS}

    @classmethod
    def module_config(cls, config, key):
        if key in _OCR_KEYS:
            return _module(config, f"SubPipelines.GeneralOCR.SubModules.{key}")
        if key in _SEAL_KEYS:
            return _module(config, f"SubPipelines.SealRecognition.SubPipelines.SealOCR.SubModules."
                                   f"{key.removeprefix('Seal')}")
        if key in _DOC_KEYS:
            return _module(config, f"SubPipelines.DocPreprocessor.SubModules.{key}")
        if key in _TABLE_KEYS:
            return _module(config, f"SubPipelines.TableRecognition.SubModules.{key}")
        if key in _TABLE_OCR_KEYS:
            return _module(config, f"SubPipelines.TableRecognition.SubPipelines.GeneralOCR.SubModules."
                                   f"{key.removeprefix('Table')}")
        if key in _FORMULA_KEYS:
            return _module(config, "SubPipelines.FormulaRecognition.SubModules.FormulaRecognition")
        return super().module_config(config, key)

    @classmethod
    def modules_for(cls, config):
        for key, (_, refused) in _SWITCHES.items():
            if refused and _switch(config, key):
                default = "on unless set to False" if _SWITCHES[key][0] else "set to True"
                raise CompileError(f"{NAME} {key} ({default}): {refused}; set {key}: False")
        modules = {"LayoutDetection": "layout_det"}
        if not (config.get("SubModules") or {}).get("LayoutDetection"):
            raise CompileError(f"a {NAME} config needs SubModules.LayoutDetection (model_name, model_dir; e.g. "
                               "PP-DocLayout_plus-L)")
        if _switch(config, "use_region_detection"):
            if not (config.get("SubModules") or {}).get("RegionDetection"):
                raise CompileError(f"{NAME} use_region_detection (on unless set to False) needs SubModules."
                                   "RegionDetection (e.g. PP-DocBlockLayout); or set use_region_detection: False")
            modules["RegionDetection"] = "region_det"
        if _use_doc_preprocessor(config):
            doc = _sub(config, "DocPreprocessor", "doc_preprocessor")
            modules.update(DocPreprocessorRecipe.modules_for(doc))
        modules.update({k: v for k, v in OcrRecipe.modules_for(_general_ocr(config)).items() if k in _OCR_KEYS})
        if _switch(config, "use_seal_recognition"):
            SealRecognitionRecipe.modules_for(_seal_sub(config))
            modules.update(_SEAL_KEYS)
        if _switch(config, "use_table_recognition"):
            modules.update(_TABLE_KEYS)
            ocr_keys = OcrRecipe.modules_for(_table_ocr(config))
            modules.update({f"Table{k}": f"table_{v}" for k, v in ocr_keys.items() if k in _OCR_KEYS})
        if _switch(config, "use_formula_recognition"):
            _formula_sub(config)
            modules.update(_FORMULA_KEYS)
        return modules

    @classmethod
    def params(cls, config, models):
        for role in ("layout_det", "region_det"):
            if role in models and (models[role].get("postprocess") or {}).get("name") != "DetPostProcess":
                raise CompileError(f"{NAME} {role} must be a layout detection model (DetPostProcess)")
        ignore = config.get("markdown_ignore_labels", MARKDOWN_IGNORE_LABELS)
        if not isinstance(ignore, list) or not all(isinstance(v, str) for v in ignore):
            raise CompileError(f"{NAME} markdown_ignore_labels must be a list of labels, got {ignore!r}")
        settings = {"use_doc_preprocessor": _use_doc_preprocessor(config),
                    **{key: _switch(config, key) for key in ("use_seal_recognition", "use_table_recognition",
                                                             "use_formula_recognition", "use_chart_recognition",
                                                             "use_region_detection", "format_block_content")},
                    "markdown_ignore_labels": list(ignore)}
        layout = layout_params(config["SubModules"]["LayoutDetection"], models["layout_det"], NAME)
        params = {"model_settings": settings, "ocr": OcrRecipe.params(_general_ocr(config), models),
                  "layout": {"threshold": _json_keys(layout["layout_threshold"]), "layout_nms": layout["layout_nms"],
                             "layout_unclip_ratio": layout["layout_unclip_ratio"],
                             "layout_merge_bboxes_mode": _json_keys(layout["layout_merge_bboxes_mode"])}}
        if settings["use_region_detection"]:
            post = models["region_det"]["postprocess"]
            # PaddleX calls the region model with layout_nms=True and merge mode "small", the rest its own.
            params["region"] = {"layout_nms": True, "layout_merge_bboxes_mode": "small",
                                "threshold": post["threshold"], "layout_unclip_ratio": post["layout_unclip_ratio"]}
        if settings["use_doc_preprocessor"]:
            params["doc_preprocessor"] = DocPreprocessorRecipe.params(
                _sub(config, "DocPreprocessor", "doc_preprocessor"), models)
        if settings["use_seal_recognition"]:
            params["seal"] = SealRecognitionRecipe.params(
                _seal_sub(config), {"text_det": models["seal_det"], "text_rec": models["seal_rec"]})
        if settings["use_table_recognition"]:
            for role in ("wired_structure", "wireless_structure"):
                if (models[role].get("postprocess") or {}).get("name") != "TableLabelDecode":
                    raise CompileError(f"{NAME} table {role} must be a table structure model (SLANeXt_wired, "
                                       "SLANet_plus, ...)")
            labels = set((models["table_cls"].get("postprocess") or {}).get("label_list") or [])
            if not {"wired_table", "wireless_table"} <= labels:
                raise CompileError(f"{NAME} TableClassification must label wired_table and wireless_table "
                                   f"(PP-LCNet_x1_0_table_cls); its labels are {sorted(labels)}")
            table_models = {role.removeprefix("table_"): models[role] for role in _TABLE_OCR_KEYS.values()
                            if role in models}
            params["table_ocr"] = OcrRecipe.params(_table_ocr(config), table_models)
        if settings["use_formula_recognition"] and \
                (models["formula_rec"].get("postprocess") or {}).get("name") != "UniMERNetDecode":
            raise CompileError(f"{NAME} SubPipelines.FormulaRecognition.SubModules.FormulaRecognition must be a "
                               "formula recognition model (PP-FormulaNet)")
        return params

"""PaddleX 3.7.2's table_recognition_v2 pipeline (pipelines/table_recognition/pipeline_v2.py).

[document preprocessor] -> GeneralOCR on the page -> [layout detection -> each `table` box, cut from the
preprocessed page] -> table orientation (PP-LCNet_x1_0_doc_ori; a turned table is read again turned) -> table
classification (wired / wireless) -> that class's structure model (SLANeXt_wired / SLANeXt_wireless) and cell
detector (RT-DETR-L_wired / wireless_table_cell_det, threshold 0.3 as PaddleX hard-codes) -> the cells
reconciled with the structure and the OCR (runtime_min/ops/table_cells_v2.py) -> v2 matching and HTML
(runtime_min/ops/table_recognition_v2.py). Document preprocessor, layout detection and GeneralOCR are read as in
table_recognition (recipes/table_recognition.py); every key PaddleX's v2 reads is honoured, any other is refused
by name. The bundle's params are SealParams, as v1's.
"""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.core.specs import SealParams
from hpi.recipes.base import PipelineRecipe, register_pipeline
from hpi.recipes.ocr import OcrRecipe
from hpi.recipes.seal import check_keys, doc_layout_params, doc_modules, doc_preprocessor, layout_detection
from hpi.recipes.table_recognition import general_ocr, sub_pipeline_module

NAME = "table_recognition_v2"
_MODULE = ("module_name", "model_name", "model_dir", "batch_size")
# SubModules key -> (bundle role, PaddleX module_name it must be)
TABLE_MODULES = {
    "TableOrientationClassify": ("table_ori", "doc_text_orientation"),
    "TableClassification": ("table_cls", "table_classification"),
    "WiredTableStructureRecognition": ("wired_structure", "table_structure_recognition"),
    "WirelessTableStructureRecognition": ("wireless_structure", "table_structure_recognition"),
    "WiredTableCellsDetection": ("wired_cells", "table_cells_detection"),
    "WirelessTableCellsDetection": ("wireless_cells", "table_cells_detection"),
}
_KNOWN_KEYS = {
    "": ("pipeline_name", "batch_size", "use_doc_preprocessor", "use_layout_detection", "use_ocr_model",
         "SubModules", "SubPipelines"),
    "SubModules": ("LayoutDetection", *TABLE_MODULES),
    "SubPipelines": ("DocPreprocessor", "GeneralOCR"),
    "SubModules.LayoutDetection": (*_MODULE, "threshold", "layout_nms", "layout_unclip_ratio",
                                   "layout_merge_bboxes_mode"),
    **{f"SubModules.{key}": _MODULE for key in TABLE_MODULES},
    "SubPipelines.GeneralOCR": ("pipeline_name", "batch_size", "text_type", "use_doc_preprocessor",
                                "use_textline_orientation", "SubModules"),
    "SubPipelines.GeneralOCR.SubModules": ("TextDetection", "TextRecognition"),
    "SubPipelines.GeneralOCR.SubModules.TextDetection": (*_MODULE, "limit_side_len", "limit_type",
                                                         "max_side_limit", "thresh", "box_thresh", "unclip_ratio"),
    "SubPipelines.GeneralOCR.SubModules.TextRecognition": (*_MODULE, "score_thresh"),
}


@register_pipeline
class TableRecognitionV2Recipe(PipelineRecipe):
    name = NAME
    modules = {"TextDetection": "text_det", "TextRecognition": "text_rec", "LayoutDetection": "layout_det",
               "DocOrientationClassify": "doc_ori", "DocUnwarping": "doc_unwarp",
               **{key: role for key, (role, _) in TABLE_MODULES.items()}}

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
        subs = config.get("SubModules") or {}
        for key, (role, module_name) in TABLE_MODULES.items():
            # PaddleX creates all six at start-up (the orientation model on the first call that uses it).
            if not subs.get(key):
                raise CompileError(f"a {NAME} config needs SubModules.{key} (module_name {module_name}, model_name, "
                                   "model_dir), as PaddleX's stock table_recognition_v2.yaml has")
            found = subs[key].get("module_name", module_name)
            if found != module_name:
                raise CompileError(f"{NAME} SubModules.{key}.module_name must be {module_name!r}, got {found!r}")
            modules[key] = role
        general_ocr(config)
        modules.update(TextDetection="text_det", TextRecognition="text_rec")
        return modules

    @classmethod
    def params(cls, config, models):
        for role in ("wired_structure", "wireless_structure"):
            if (models[role].get("postprocess") or {}).get("name") != "TableLabelDecode":
                raise CompileError(f"{NAME} {role} must be a table structure model (SLANeXt_wired, "
                                   "SLANeXt_wireless, SLANet, SLANet_plus)")
        labels = set((models["table_cls"].get("postprocess") or {}).get("label_list") or [])
        if not {"wired_table", "wireless_table"} <= labels:
            raise CompileError(f"{NAME} SubModules.TableClassification must label wired_table and wireless_table "
                               f"(PP-LCNet_x1_0_table_cls); its labels are {sorted(labels)}")
        ocr = OcrRecipe.params(general_ocr(config), models)
        if models["text_det"]["postprocess"]["box_type"] != "quad":
            raise CompileError(f"{NAME}'s GeneralOCR needs a quad text detector (PaddleX's general text)")
        return SealParams(**ocr, **doc_layout_params(config, models, NAME)).to_dict()

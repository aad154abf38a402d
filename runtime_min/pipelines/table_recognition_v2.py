"""PaddleX 3.7.2's table_recognition_v2 pipeline (pipelines/table_recognition/pipeline_v2.py, its `predict` with
the default switches): [document preprocessor] -> GeneralOCR on the page -> [layout detection -> each `table`
box cut from the preprocessed page, else the whole page as one table] -> table orientation (a table read as
turned is turned back with np.rot90, the whole page turned likewise is read by GeneralOCR again and the table box
moved onto it) -> table classification -> the class's structure model and cell detector (threshold 0.3) ->
ops/table_cells_v2.py (cells NMS, reconciled with the structure's cell count and the table's OCR lines; OCR lines
spanning cells cut and read again) -> ops/table_recognition_v2.py (rows, matching, HTML) -> PaddleX's
TableRecognitionResult (same JSON, HTML and pictures as table_recognition v1, whose runner this extends).

PP-StructureV3 runs it on its page with the page's OCR and layout result (`tables_in_layout`), and with its own
defaults: the wireless class end to end (its structure model's cells, table_recognition v1's matching).

As in PaddleX, a turned table leaves the page's OCR replaced by the turned page's for the tables after it and
for `overall_ocr_res`; its cells are mapped back onto the unturned page. Per-call parameters: with_params.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hpi.core.errors import BundleError, UsageError
from hpi.core.specs import SealParams
from hpi.runtime_min.ops import table_cells_v2 as cells_ops
from hpi.runtime_min.ops.image_io import read_image
from hpi.runtime_min.ops.table_recognition import (get_neighbor_boxes_idx, get_sub_regions_ocr_res,
                                                   get_table_recognition_res)
from hpi.runtime_min.ops.table_recognition_v2 import get_table_recognition_res_v2
from hpi.runtime_min.pipelines import ocr
from hpi.runtime_min.pipelines.classification import ImageClassificationRunner
from hpi.runtime_min.pipelines.detection import DetectionRunner
from hpi.runtime_min.pipelines.seal import build_doc_layout, crop_by_box
from hpi.runtime_min.pipelines.table_recognition import TableRecognitionRunner
from hpi.runtime_min.pipelines.table_structure import TableStructureRunner

__all__ = ["TableRecognitionV2Runner"]

NAME = "table_recognition_v2"
CELL_THRESHOLD = 0.3  # PaddleX calls both cell detectors with threshold=0.3, whatever their inference.yml says
_TURNS = {"90": 1, "180": 2, "270": 3}
# PaddleX's per-call table switches with its predict's defaults (bool = ..., not Optional: each call resets them).
SWITCHES = {"use_e2e_wired_table_rec_model": False, "use_e2e_wireless_table_rec_model": False,
            "use_wired_table_cells_trans_to_html": False, "use_wireless_table_cells_trans_to_html": False,
            "use_table_orientation_classify": True}


class TableRecognitionV2Runner(TableRecognitionRunner):
    """`predict_one(image)` gives the fields of PaddleX's TableRecognitionResult (see TableRecognitionRunner)."""

    def __init__(self, ocr_runner, models: dict, doc=None, layout=None):
        super().__init__(ocr_runner, None, doc, layout)
        self.table_ori, self.table_cls = models["table_ori"], models["table_cls"]
        self.structure = {"wired_table": models["wired_structure"], "wireless_table": models["wireless_structure"]}
        self.cells = {"wired_table": models["wired_cells"], "wireless_table": models["wireless_cells"]}
        self.use_table_orientation_classify = True
        self.use_ocr_results_with_table_cells = True
        # PaddleX's use_e2e_<kind>_rec_model: that class's structure model alone gives the cells
        self.e2e = {"wired_table": False, "wireless_table": False}

    def with_params(self, **call) -> "TableRecognitionV2Runner":
        """v1's per-call parameters (document preprocessor, layout, GeneralOCR, use_ocr_results_with_table_cells)
        and v2's table switches, which PaddleX's predict defaults per call (SWITCHES), not from the config."""
        call = {k: v for k, v in call.items() if v is not None}
        switches = {**SWITCHES, **{k: call.pop(k) for k in list(call) if k in SWITCHES}}
        for key, value in switches.items():
            if not isinstance(value, bool):
                raise UsageError(f"{key} must be True, False or None, got {value!r}")
        for key in ("use_wired_table_cells_trans_to_html", "use_wireless_table_cells_trans_to_html"):
            if switches[key]:
                raise UsageError(f"{key}=True: hpi's {NAME} does not turn table cells into HTML yet; fix: leave it "
                                 "unset or False")
        if "cell_sort_by_y_projection" in call:
            raise UsageError(f"cell_sort_by_y_projection is v1's; {NAME}'s predict does not take it")
        twin = super().with_params(**call)
        twin.use_table_orientation_classify = switches["use_table_orientation_classify"]
        twin.use_ocr_results_with_table_cells = call.get("use_ocr_results_with_table_cells", True)  # v2's default
        twin.e2e = {"wired_table": switches["use_e2e_wired_table_rec_model"],
                    "wireless_table": switches["use_e2e_wireless_table_rec_model"]}
        return twin

    def _recognize(self, crop: np.ndarray) -> str:
        """PaddleX's text_rec_model on one crop: its rec_text."""
        return self.ocr.recognize([crop])[0][0]

    def _one_table(self, image, table_box, overall, ocr_shape, find_neighbours: bool) -> dict:
        cls = self.table_cls.predict_one(image)
        kind = cls["label_names"][int(np.argmax(cls["scores"]))]
        if kind not in self.structure:
            raise ValueError(f"the table classifier gave {kind!r}; {NAME} knows wired_table and wireless_table")
        structure = self.structure[kind].predict_one(image)
        if self.e2e[kind]:  # PaddleX's get_table_recognition_res_e2e (v1's), without the cells' OCR
            res = get_table_recognition_res(table_box, structure, overall, ocr_shape, [], False)
            return self._with_neighbours(res, overall, table_box, find_neighbours)
        found = self.cells[kind].predict_one(image)["boxes"]
        boxes = [b["coordinate"] for b in found if float(b["score"]) > 0.0]
        scores = [float(b["score"]) for b in found if float(b["score"]) > 0.0]
        boxes, scores = cells_ops.cells_det_results_nms(boxes, scores)
        region = cells_ops.get_region_ocr_det_boxes(np.asarray(overall["rec_boxes"]).tolist(), table_box)
        cells = cells_ops.cells_det_results_reprocessing(boxes, scores, region, len(structure["bbox"]))
        table_ocr = {}
        if self.use_ocr_results_with_table_cells:
            table_ocr = get_sub_regions_ocr_res(overall, np.array([table_box]))
            table_ocr = cells_ops.split_ocr_boxes(cells, table_ocr, image, self._recognize)
        res = get_table_recognition_res_v2(table_box, structure["structure"], cells, overall, ocr_shape, table_ocr,
                                           [], self.use_ocr_results_with_table_cells, True)
        return self._with_neighbours(res, overall, table_box, find_neighbours)

    @staticmethod
    def _with_neighbours(res: dict, overall: dict, table_box, find_neighbours: bool) -> dict:
        neighbours = ""
        if find_neighbours:
            for idx in get_neighbor_boxes_idx(overall["rec_boxes"], table_box):
                neighbours += overall["rec_texts"][idx] + "; "
        res["neighbor_texts"] = neighbours
        return res

    def tables_in_layout(self, page, layout_res: dict, overall: dict, ocr_shape) -> tuple[list, dict]:
        """PaddleX's loop over the layout's `table` boxes: (tables, the OCR result after them: a turned table
        reads its turned page again and that result serves the tables after it)."""
        h, w = page.shape[:2]
        tables = []
        for box in layout_res["boxes"]:
            if box["label"].lower() != "table":
                continue
            crop, table_box = crop_by_box(page, box), box["coordinate"]
            angle = self._angle(crop)
            turned = page
            if angle in _TURNS:
                crop, turned = np.rot90(crop, k=_TURNS[angle]), np.rot90(page, k=_TURNS[angle])
                overall, ocr_shape = self.ocr.predict_one(turned), turned.shape[:2]
                table_box = cells_ops.rotate_table_box(table_box, angle, w, h)
            res = self._one_table(crop, table_box, overall, ocr_shape, True)
            if angle != "0":
                th, tw = turned.shape[:2]
                res["cell_box_list"] = cells_ops.map_cells_to_original_image(res["cell_box_list"], angle, tw, th)
            tables.append(res)
        for region, table in enumerate(tables, start=1):
            table["table_region_id"] = region
        return tables, overall

    def _angle(self, image) -> str:
        return self.table_ori.predict_one(image)["label_names"][0] if self.use_table_orientation_classify else "0"

    def predict_one(self, image) -> dict:
        img = read_image(image)
        settings = {"use_doc_preprocessor": self.use_doc_preprocessor,
                    "use_layout_detection": self.use_layout_detection, "use_ocr_model": True}
        doc_res = self.doc.predict_one(img) if self.use_doc_preprocessor else None
        page = doc_res["output_img"] if doc_res is not None else img
        overall, ocr_shape = self.ocr.predict_one(page), page.shape[:2]
        h, w = page.shape[:2]
        tables = []
        if not self.use_layout_detection:
            layout_res = {}
            table_box, angle = [0, 0, w - 1, h - 1], self._angle(page)
            table_img = np.rot90(page, k=_TURNS[angle]) if angle in _TURNS else page
            if angle in _TURNS:
                overall, ocr_shape = self.ocr.predict_one(table_img), table_img.shape[:2]
                table_box = cells_ops.rotate_table_box(table_box, angle, w, h)
            res = self._one_table(table_img, table_box, overall, ocr_shape, False)
            if angle != "0":
                th, tw = table_img.shape[:2]
                res["cell_box_list"] = cells_ops.map_cells_to_original_image(res["cell_box_list"], angle, tw, th)
            tables.append(res)
        else:
            layout_res = self.layout.predict_one(page)
            tables, overall = self.tables_in_layout(page, layout_res, overall, ocr_shape)
        for region, table in enumerate(tables, start=1):
            table["table_region_id"] = region
        return {"model_settings": settings, "doc_preprocessor_res": doc_res, "layout_det_res": layout_res,
                "overall_ocr_res": overall, "page_img": page, "table_res_list": tables}


def _runner(models: dict, role: str, kind):
    model = models.get(role)
    if model is None:
        raise BundleError(f"the bundle's {NAME} pipeline has no {role!r} model; recompile it")
    return kind(model, model.entry.spec)


def table_parts(models: dict) -> dict:
    """The six table models' runners by role (the cell detectors at PaddleX's threshold 0.3)."""
    parts = {role: _runner(models, role, ImageClassificationRunner) for role in ("table_ori", "table_cls")}
    parts.update({role: _runner(models, role, TableStructureRunner)
                  for role in ("wired_structure", "wireless_structure")})
    for role in ("wired_cells", "wireless_cells"):
        model = models.get(role)
        if model is None:
            raise BundleError(f"the bundle's {NAME} pipeline has no {role!r} model; recompile it")
        spec = model.entry.spec
        parts[role] = DetectionRunner(model, replace(spec, postprocess=replace(spec.postprocess,
                                                                                threshold=CELL_THRESHOLD)))
    return parts


def build(name: str, models: dict, params: dict) -> TableRecognitionV2Runner:
    table = SealParams.from_dict(params, "pipeline.params")
    own = ("use_doc_preprocessor", "use_doc_orientation_classify", "use_doc_unwarping", "use_layout_detection",
           "layout_threshold", "layout_nms", "layout_unclip_ratio", "layout_merge_bboxes_mode")
    ocr_params = {k: v for k, v in table.to_dict().items() if k not in own}
    general = ocr.build("OCR", {role: models[role] for role in ("text_det", "text_rec")}, ocr_params)
    doc, layout = build_doc_layout(NAME, models, table)
    return TableRecognitionV2Runner(general, table_parts(models), doc, layout)

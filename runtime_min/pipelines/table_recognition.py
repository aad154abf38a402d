"""PaddleX 3.7.2's table_recognition pipeline (v1: pipelines/table_recognition/pipeline.py and result.py):
[document preprocessor] -> GeneralOCR on the page -> [layout detection -> each `table` box] -> the table
structure model on the table image -> ops/table_recognition.py (OCR lines matched to cells, HTML) ->
TableRecognitionResult.

The document preprocessor and layout detection runners are the seal pipeline's (pipelines/seal.py's
build_doc_layout / apply_doc_layout); GeneralOCR is pipelines/ocr.py's OcrRunner. As in PaddleX, each table
is cut (CropByBoxes: coordinates truncated to int) from the image as read, not from the preprocessed page the
layout boxes were found on (the same image unless the preprocessor turned or unwarped it); without layout
detection the whole preprocessed page is one table, [0, 0, w - 1, h - 1], and no neighbour texts are looked
for. `use_ocr_results_with_table_cells` reads each cell's crop (ceil of its corners) with GeneralOCR and joins
the texts instead of matching the page's lines.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from hpi.core.errors import UsageError
from hpi.core.specs import SealParams
from hpi.runtime_min.ops.image_io import read_image
from hpi.runtime_min.ops.table_recognition import get_neighbor_boxes_idx, get_table_recognition_res
from hpi.runtime_min.pipelines import call_params, ocr, ocr_result
from hpi.runtime_min.pipelines.fonts import FontChooser
from hpi.runtime_min.pipelines.seal import (apply_doc_layout, build_doc_layout, crop_by_box, page_pictures,
                                             write_pictures)
from hpi.runtime_min.pipelines.table_structure import TableStructureRunner
from hpi.runtime_min.result import plain

__all__ = ["TableRecognitionRunner"]

NAME = "table_recognition"


class TableRecognitionRunner:
    """`predict_one(image)` gives the fields of PaddleX's TableRecognitionResult: model_settings,
    doc_preprocessor_res, layout_det_res, overall_ocr_res, table_res_list (cell_box_list, pred_html,
    table_ocr_pred, and, outside the JSON as in PaddleX, table_region_id and neighbor_texts)."""

    def __init__(self, ocr_runner: ocr.OcrRunner, table: TableStructureRunner, doc=None, layout=None):
        self.ocr, self.table, self.doc, self.layout = ocr_runner, table, doc, layout
        self.use_doc_preprocessor, self.use_layout_detection = doc is not None, layout is not None
        self.use_ocr_results_with_table_cells = False
        self.cell_sort_by_y_projection = False

    @property
    def fonts(self) -> FontChooser | None:
        return self.ocr.fonts

    @fonts.setter
    def fonts(self, value: FontChooser | None) -> None:
        self.ocr.fonts = value

    def with_params(self, **call) -> "TableRecognitionRunner":
        """This pipeline with PaddleX's per-call `predict()` parameters (None: the bundle's value); UsageError
        names a parameter it does not take or a bad value."""
        try:
            doc_call, layout_call, ocr_call, own = call_params.split_table(call)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        twin = copy.copy(self)
        twin.ocr = self.ocr.with_params(**ocr_call)
        apply_doc_layout(NAME, self, twin, doc_call, layout_call)
        for key, value in own.items():
            setattr(twin, key, value)
        return twin

    def _cells_texts(self, table_img: np.ndarray, structure: dict) -> list[str]:
        """PaddleX's split_ocr_bboxes_by_table_cells: GeneralOCR on each cell's crop, texts joined."""
        texts = []
        for rect in structure["bbox"]:
            x1, y1, x2, y2 = [math.ceil(k) for k in (rect[0], rect[1], rect[4], rect[5])]
            texts.append("".join(self.ocr.predict_one(table_img[y1:y2, x1:x2, :])["rec_texts"]))
        return texts

    def _one_table(self, table_img, table_box, overall, page_shape, find_neighbours: bool) -> dict:
        structure = self.table.predict_one(table_img)
        cells = self._cells_texts(table_img, structure) if self.use_ocr_results_with_table_cells else []
        res = get_table_recognition_res(table_box, structure, overall, page_shape, cells,
                                        self.use_ocr_results_with_table_cells, self.cell_sort_by_y_projection)
        neighbours = ""
        if find_neighbours:
            for idx in get_neighbor_boxes_idx(overall["rec_boxes"], table_box):
                neighbours += overall["rec_texts"][idx] + "; "
        res["neighbor_texts"] = neighbours
        return res

    def predict_one(self, image) -> dict:
        img = read_image(image)
        settings = {"use_doc_preprocessor": self.use_doc_preprocessor,
                    "use_layout_detection": self.use_layout_detection, "use_ocr_model": True}
        doc_res = self.doc.predict_one(img) if self.use_doc_preprocessor else None
        page = doc_res["output_img"] if doc_res is not None else img
        overall = self.ocr.predict_one(page)
        tables = []
        if not self.use_layout_detection:
            layout_res = {}
            h, w = page.shape[:2]
            tables.append(self._one_table(page, [0, 0, w - 1, h - 1], overall, page.shape[:2], False))
        else:
            layout_res = self.layout.predict_one(page)
            for box in layout_res["boxes"]:
                if box["label"].lower() == "table":
                    tables.append(self._one_table(crop_by_box(img, box), box["coordinate"], overall,
                                                  page.shape[:2], True))
        for region, table in enumerate(tables, start=1):
            table["table_region_id"] = region
        return {"model_settings": settings, "doc_preprocessor_res": doc_res, "layout_det_res": layout_res,
                "overall_ocr_res": overall, "page_img": page, "table_res_list": tables}

    def to_json(self, data: dict, input_path=None) -> dict:
        out = {"input_path": None if input_path is None else str(input_path), "page_index": None,
               "model_settings": dict(data["model_settings"])}
        if data["model_settings"]["use_doc_preprocessor"]:
            out["doc_preprocessor_res"] = self.doc.to_json(data["doc_preprocessor_res"])
        if data["layout_det_res"]:
            out["layout_det_res"] = self.layout.to_json(data["layout_det_res"])
        out["overall_ocr_res"] = ocr_result.to_json_dict(data["overall_ocr_res"])
        out["table_res_list"] = [plain({key: table[key] for key in ("cell_box_list", "pred_html", "table_ocr_pred")})
                                 for table in data["table_res_list"]]
        return out

    def to_html(self, data: dict) -> dict[str, str]:
        """PaddleX's `_to_html`: `table_<region id>` -> the table's HTML with `<table border="1">`."""
        return {f"table_{t['table_region_id']}": t["pred_html"].replace("<table>", '<table border="1">')
                for t in data["table_res_list"]}

    def to_xlsx(self, data: dict) -> dict[str, str]:
        """PaddleX's `_to_xlsx`: `table_<region id>` -> the table's HTML (as in the JSON), which save_to_xlsx
        turns into a workbook."""
        return {f"table_{t['table_region_id']}": t["pred_html"] for t in data["table_res_list"]}

    def named_pictures(self, data: dict, image: np.ndarray, fonts: FontChooser | None = None) -> list:
        """PaddleX's pictures, (key, draw(target)) each: `layout_det_res`, `preprocessed_img` (the preprocessor's
        panels), `ocr_res_img` (the page's OCR) and `table_cell_img` (every table's cell boxes, red, 2 px, on the
        preprocessed page)."""
        from PIL import Image, ImageDraw

        fonts = fonts or self.ocr.fonts
        pictures = page_pictures(self, data, image, fonts)
        pictures.append(("ocr_res_img", lambda target: ocr_result.save_visualization(
            data["overall_ocr_res"], data["page_img"], target, fonts=fonts)))

        def cells(target):
            canvas = Image.fromarray(np.ascontiguousarray(data["page_img"][:, :, ::-1]))
            draw = ImageDraw.Draw(canvas)
            for table in data["table_res_list"]:
                for box in table["cell_box_list"]:
                    draw.rectangle([int(v) for v in box], outline=(255, 0, 0), width=2)
            canvas.save(target)

        if data["table_res_list"]:
            pictures.append(("table_cell_img", cells))
        return pictures

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts: FontChooser | None = None) -> None:
        write_pictures(self.named_pictures(data, image, fonts), path)


def build(name: str, models: dict, params: dict) -> TableRecognitionRunner:
    table = SealParams.from_dict(params, "pipeline.params")
    own = ("use_doc_preprocessor", "use_doc_orientation_classify", "use_doc_unwarping", "use_layout_detection",
           "layout_threshold", "layout_nms", "layout_unclip_ratio", "layout_merge_bboxes_mode")
    ocr_params = {k: v for k, v in table.to_dict().items() if k not in own}
    general = ocr.build("OCR", {role: models[role] for role in ("text_det", "text_rec")}, ocr_params)
    doc, layout = build_doc_layout(NAME, models, table)
    structure = models["table_structure"]
    return TableRecognitionRunner(general, TableStructureRunner(structure, structure.entry.spec), doc, layout)

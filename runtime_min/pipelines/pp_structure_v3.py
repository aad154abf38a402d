"""PaddleX 3.7.2's PP-StructureV3 pipeline (layout_parsing v2: pipelines/layout_parsing/pipeline_v2.py and
result_v2.py): [document preprocessor] -> layout detection (PP-DocLayout_plus-L) -> [region detection
(PP-DocBlockLayout, layout NMS, merge mode "small")] -> GeneralOCR on the page -> [seal recognition of each `seal`
box] -> PaddleX's page assembly (ops/layout_parsing: OCR lines matched to blocks, blocks to regions, the enhanced
XY-cut reading order) -> LayoutParsingResultV2's JSON and Markdown.

Formula recognition (`formula`, a PP-FormulaNet runner) reads each layout `formula` box's crop before the OCR; the
boxes are whitened for the OCR and the page assembly and painted back after, as PaddleX does (with the crop as the
formula model read it, RGB). Table recognition (`table`, a TableRecognitionV2Runner with its own GeneralOCR) runs
once per page on the layout's `table` boxes with the page's OCR result extended by the formulas ($...$) and the
image crops, as PaddleX's table_recognition_v2 with use_ocr_model=False; each `table` block's content is its
pred_html. Chart recognition is not built: bundles run as PaddleX does with use_chart_recognition False.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from hpi.core.errors import BundleError, UsageError
from hpi.runtime_min.ops.image_io import read_image
from hpi.runtime_min.ops.layout_parsing.geometry import gather_imgs, get_seg_flag
from hpi.runtime_min.ops.layout_parsing.markdown_converter import MarkdownConverter
from hpi.runtime_min.ops.layout_parsing.markdown_format import (build_handle_funcs_dict, format_centered_by_html,
                                                                format_image_plain, format_image_scaled_by_html,
                                                                format_text_plain, simplify_table)
from hpi.runtime_min.ops.layout_parsing.parsing import get_layout_parsing_res
from hpi.runtime_min.pipelines import call_params, doc_preprocessor, ocr, ocr_result
from hpi.runtime_min.pipelines.detection import DetectionRunner
from hpi.runtime_min.pipelines.fonts import FontChooser
from hpi.runtime_min.result import plain

__all__ = ["LayoutParsingRunner"]

NAME = "PP-StructureV3"
# PaddleX's default when the config has no markdown_ignore_labels.
MARKDOWN_IGNORE_LABELS = ["number", "footnote", "header", "header_image", "footer", "footer_image", "aside_text"]


# PaddleX's per-call predict() parameters, by where they go.
_DOC = ("use_doc_orientation_classify", "use_doc_unwarping")
_LAYOUT = {"layout_threshold": "threshold", "layout_nms": "layout_nms", "layout_unclip_ratio": "layout_unclip_ratio",
           "layout_merge_bboxes_mode": "layout_merge_bboxes_mode"}
_OCR = ("use_textline_orientation", "text_det_limit_side_len", "text_det_limit_type", "text_det_thresh",
        "text_det_box_thresh", "text_det_unclip_ratio", "text_rec_score_thresh")
_OWN = ("use_seal_recognition", "use_region_detection", "format_block_content", "markdown_ignore_labels",
        "use_table_recognition", "use_formula_recognition")
# On only with a runner hpi does not have yet; False (or None) is what the bundle does anyway.
_NOT_BUILT = ("use_chart_recognition",)
# Handed by PaddleX to table_recognition_v2, with its defaults in PP-StructureV3's predict().
_TABLE_ONLY = {"use_wired_table_cells_trans_to_html": False, "use_wireless_table_cells_trans_to_html": False,
               "use_table_orientation_classify": True, "use_ocr_results_with_table_cells": True,
               "use_e2e_wired_table_rec_model": False, "use_e2e_wireless_table_rec_model": True}
CALL_NAMES = (*_DOC, *_LAYOUT, *_OCR, *call_params.SEAL_TO_OCR, *_OWN, *_NOT_BUILT, *_TABLE_ONLY)


class LayoutParsingRunner:
    """`predict_one(image)` gives the fields of PaddleX's LayoutParsingResultV2 (parsing_res_list holds its
    LayoutBlock objects); `to_json` its `save_to_json` form, `to_markdown` its `_to_markdown(pretty=True)`.

    Sub-runners: `seal` a SealOcrRunner (PaddleX's seal_recognition pipeline run with layout detection and the
    preprocessor off, on each `seal` box of the page's layout); `table` a TableRecognitionV2Runner (with the
    table pipeline's own GeneralOCR), `formula` a FormulaRecognitionRunner, called where PaddleX calls its
    table_recognition_v2 / formula_recognition pipelines (docs/pipelines.md)."""

    def __init__(self, general_ocr: ocr.OcrRunner, layout: DetectionRunner, settings: dict, region=None, doc=None,
                 seal=None, table=None, formula=None):
        self.ocr, self.layout, self.region, self.doc = general_ocr, layout, region, doc
        self.seal, self.table, self.formula = seal, table, formula
        self.settings = settings  # PaddleX's model_settings of the bundle
        # The GeneralOCR's config threshold (PaddleX reads it for block crops) and a call's (for the re-reads).
        self.default_rec_score_thresh = general_ocr.params["text_rec_score_thresh"]
        self.call_rec_score_thresh = None

    def with_params(self, **call) -> "LayoutParsingRunner":
        """This pipeline with PaddleX's per-call `predict()` parameters applied (None: the bundle's value);
        UsageError names a parameter it does not take, a bad value, or a branch the bundle has no model for."""
        from dataclasses import replace

        call = {k: v for k, v in call.items() if v is not None}
        unknown = sorted(set(call) - set(CALL_NAMES))
        if unknown:
            raise UsageError(f"unknown predict parameter(s) {', '.join(unknown)} for the {NAME} pipeline; accepted "
                             f"(PaddleX's names): {', '.join(CALL_NAMES)}")
        for key in (*_DOC, *_NOT_BUILT, *_TABLE_ONLY, "use_seal_recognition", "use_region_detection",
                    "format_block_content", "use_table_recognition", "use_formula_recognition"):
            if key in call and not isinstance(call[key], bool):
                raise UsageError(f"{key} must be True, False or None, got {call[key]!r}")
        for key in _NOT_BUILT:
            if call.get(key):
                raise UsageError(f"{key}=True: hpi's {NAME} has no such runner yet; fix: leave it unset or False")
        twin = copy.copy(self)
        twin.settings = copy.deepcopy(self.settings)
        for key in ("use_wired_table_cells_trans_to_html", "use_wireless_table_cells_trans_to_html"):
            if call.get(key):
                raise UsageError(f"{key}=True: hpi's {NAME} does not turn table cells into HTML yet; fix: leave it "
                                 "unset or False")
        for key, runner in (("use_seal_recognition", self.seal), ("use_region_detection", self.region),
                            ("use_table_recognition", self.table), ("use_formula_recognition", self.formula)):
            if call.get(key) and runner is None:
                raise UsageError(f"{key}=True: this bundle's {NAME} pipeline has no model for it; fix: compile from "
                                 f"a config with {key}: True, or leave it unset")
        ignore = call.get("markdown_ignore_labels", twin.settings["markdown_ignore_labels"])
        if not isinstance(ignore, (list, tuple)) or not all(isinstance(v, str) for v in ignore):
            raise UsageError(f"markdown_ignore_labels must be a list of labels, got {ignore!r}")
        twin.settings.update({k: call[k] for k in ("use_seal_recognition", "use_region_detection",
                                                   "format_block_content", "use_table_recognition",
                                                   "use_formula_recognition") if k in call},
                             markdown_ignore_labels=list(ignore))
        doc_call = {k: call[k] for k in _DOC if k in call}
        if doc_call:  # PaddleX's get_model_settings: either given, the preprocessor runs only if one is True
            twin.settings["use_doc_preprocessor"] = any(doc_call.values())
            if twin.settings["use_doc_preprocessor"]:
                if self.doc is None:
                    raise UsageError(f"use_doc_*=True: this bundle's {NAME} pipeline has no document preprocessor; "
                                     "fix: compile from a config that runs it, or leave them unset")
                twin.doc = self.doc.with_params(**doc_call)
        try:
            layout_call = call_params._check_layout({k: call[k] for k in _LAYOUT if k in call})
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if layout_call:
            # PaddleX's DetPredictor: a given threshold replaces the pipeline's, the others apply when truthy.
            changes = {_LAYOUT[k]: v for k, v in layout_call.items() if k == "layout_threshold" or v}
            post = replace(self.layout.post, **changes)
            twin.layout = DetectionRunner(self.layout.model, replace(self.layout.spec, postprocess=post))
        twin.ocr = self.ocr.with_params(**{k: call[k] for k in _OCR if k in call})
        twin.call_rec_score_thresh = call.get("text_rec_score_thresh")
        seal_call = {call_params.SEAL_TO_OCR[k]: v for k, v in call.items() if k in call_params.SEAL_TO_OCR}
        if seal_call and self.seal is not None:
            twin.seal = self.seal.with_params(**seal_call)
        if self.table is not None:
            twin.table = _table_switches(self.table, {k: call[k] for k in _TABLE_ONLY if k in call})
        return twin

    @property
    def fonts(self) -> FontChooser | None:
        return self.ocr.fonts

    @fonts.setter
    def fonts(self, value: FontChooser | None) -> None:
        self.ocr.fonts = value

    def _recognize(self, crops: list) -> list[dict]:
        """PaddleX's `text_rec_model(crops)`: the GeneralOCR's recognizer alone."""
        return [{"rec_text": text, "rec_score": score} for text, score, *_ in self.ocr.recognize(list(crops))]

    def _seals(self, page: np.ndarray, layout_res: dict) -> list[dict]:
        """PaddleX's seal_recognition with an external layout result: SealOCR on each `seal` box's crop."""
        from hpi.runtime_min.pipelines.seal import crop_by_box

        seals = []
        for box in layout_res["boxes"]:
            if box["label"].lower() == "seal":
                crop = crop_by_box(page, box)
                seal = self.seal.predict_one(crop)
                seal["seal_region_id"] = len(seals) + 1
                seal["doc_input_img"] = crop  # what its picture is drawn on; not in the JSON
                seals.append(seal)
        return seals

    def _formulas(self, page: np.ndarray, layout_res: dict) -> list[dict]:
        """PaddleX's formula_recognition with an external layout result: the formula model on each `formula`
        box's crop; input_img is that crop as the model read it (RGB), which PaddleX paints back."""
        from hpi.runtime_min.pipelines.seal import crop_by_box

        formulas = []
        for box in layout_res["boxes"]:
            if box["label"].lower() == "formula":
                crop = crop_by_box(page, box)
                formulas.append({"input_path": None, "page_index": None, "input_img": crop[:, :, ::-1].copy(),
                                 **self.formula.predict_one(crop), "formula_region_id": len(formulas) + 1,
                                 "dt_polys": box["coordinate"]})
        return formulas

    def _tables(self, page: np.ndarray, layout_res: dict, overall: dict, formulas: list, imgs_in_doc: list):
        """PaddleX's table_recognition_v2 call: the page's OCR result (deep-copied) extended by each formula
        ($...$, score 1) and each image crop (its Markdown <img> line, its layout score), then the tables."""
        contents = copy.deepcopy(overall)
        for key in ("dt_polys", "rec_texts", "rec_polys", "rec_scores"):
            contents[key] = list(contents[key])
        extra = []
        for formula in formulas:
            text = formula["rec_formula"]
            if not text.startswith("$") or not text.endswith("$"):
                text = f"${text}$"
            extra.append((list(map(int, formula["dt_polys"])), text, formula["dt_polys"], 1))
        for img in imgs_in_doc:
            text = f'<div style="text-align: center;"><img src="{img["path"]}" alt="Image" /></div>'
            extra.append((img["coordinate"], text, img["coordinate"], img["score"]))
        for (x1, y1, x2, y2), text, box, score in extra:
            poly = [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]
            contents["dt_polys"].append(poly)
            contents["rec_texts"].append(text)
            boxes = np.asarray(contents["rec_boxes"])
            contents["rec_boxes"] = np.array([box]) if boxes.size == 0 else np.vstack((boxes, [box]))
            contents["rec_polys"].append(poly)
            contents["rec_scores"].append(score)
        tables, _ = self.table.tables_in_layout(page, layout_res, contents, page.shape[:2])
        return tables

    def predict_one(self, image) -> dict:
        img = read_image(image)
        settings = copy.deepcopy(self.settings)
        doc_res = self.doc.predict_one(img) if settings["use_doc_preprocessor"] else None
        page = doc_res["output_img"] if doc_res is not None else img
        layout_res = self.layout.predict_one(page)
        imgs_in_doc = gather_imgs(page, layout_res["boxes"])
        region_res = self.region.predict_one(page) if settings["use_region_detection"] else {"boxes": []}
        formula_res_list = self._formulas(page, layout_res) if settings["use_formula_recognition"] else []
        if formula_res_list and page is img:
            page = page.copy()  # PaddleX whitens the caller's array itself; hpi leaves it as given
        for formula in formula_res_list:  # hidden from the OCR, the tables, the seals and the page assembly
            x1, y1, x2, y2 = map(int, formula["dt_polys"])
            page[y1:y2, x1:x2, :] = 255
        overall = self.ocr.predict_one(page)
        overall["rec_labels"] = ["text"] * len(overall["rec_texts"])
        table_res_list = []
        if settings["use_table_recognition"]:
            table_res_list = self._tables(page, layout_res, overall, formula_res_list, imgs_in_doc)
        seal_res_list = self._seals(page, layout_res) if settings["use_seal_recognition"] else []
        parsing = get_layout_parsing_res(
            page, region_det_res=region_res, layout_det_res=layout_res, overall_ocr_res=overall,
            table_res_list=table_res_list, seal_res_list=seal_res_list, chart_res_list=[],
            formula_res_list=formula_res_list, text_rec_score_thresh=self.call_rec_score_thresh,
            markdown_ignore_labels=settings["markdown_ignore_labels"], text_rec_model=self._recognize,
            default_rec_score_thresh=self.default_rec_score_thresh)
        for formula in formula_res_list:  # painted back as PaddleX does: the RGB crop into the BGR page
            x1, y1, x2, y2 = map(int, formula["dt_polys"])
            page[y1:y2, x1:x2, :] = formula["input_img"]
        return {"width": page.shape[1], "height": page.shape[0], "model_settings": settings,
                "doc_preprocessor_res": doc_res, "page_img": page, "layout_det_res": layout_res,
                "region_det_res": region_res, "overall_ocr_res": overall, "table_res_list": table_res_list,
                "seal_res_list": seal_res_list, "formula_res_list": formula_res_list, "parsing_res_list": parsing,
                "imgs_in_doc": imgs_in_doc}

    def _handle_funcs(self, data: dict, pretty: bool = True) -> dict:
        """LayoutParsingResultV2._build_handle_funcs_dict: the Markdown formatter of each block label."""
        settings, width = data["model_settings"], data["page_img"].shape[1]
        if pretty:
            def text_func(block):
                return format_centered_by_html(format_text_plain(block))

            def image_func(block):
                return format_centered_by_html(format_image_scaled_by_html(block, original_image_width=width))
        else:
            def text_func(block):
                return block.content
            image_func = format_image_plain
        seal_func = image_func
        if settings.get("use_seal_recognition", False):
            def seal_func(block):
                return "\n".join([image_func(block), text_func(block)])
        table_func = image_func
        if settings.get("use_table_recognition", False):
            if pretty:
                def table_func(block):
                    return "\n" + text_func(block).replace("<table>", '<table border="1">')
            else:
                def table_func(block):
                    return simplify_table("\n" + block.content)
        formula_func = image_func
        if settings.get("use_formula_recognition", False):
            def formula_func(block):
                return f"$${block.content}$$"
        funcs = build_handle_funcs_dict(text_func=text_func, image_func=image_func, chart_func=image_func,
                                        table_func=table_func, formula_func=formula_func, seal_func=seal_func,
                                        use_plain_header_footer_image=True)
        for label in settings.get("markdown_ignore_labels", []):
            funcs.pop(label, None)
        return funcs

    def to_json(self, data: dict, input_path=None) -> dict:
        settings = data["model_settings"]
        funcs = self._handle_funcs(data) if settings.get("format_block_content", False) else {}
        blocks = []
        for block in data["parsing_res_list"]:
            content = block.content
            if settings.get("format_block_content", False) and funcs.get(block.label):
                content = funcs[block.label](block)
            blocks.append({"block_label": block.label, "block_content": content, "block_bbox": block.bbox,
                           "block_id": block.index, "block_order": block.order_index})
        out = {"input_path": None if input_path is None else str(input_path), "page_index": None,
               "page_count": None, "width": data["width"], "height": data["height"],
               "model_settings": settings, "parsing_res_list": blocks}
        if settings["use_doc_preprocessor"]:
            out["doc_preprocessor_res"] = self.doc.to_json(data["doc_preprocessor_res"])
        out["layout_det_res"] = self.layout.to_json(data["layout_det_res"])
        out["overall_ocr_res"] = ocr_result.to_json_dict(data["overall_ocr_res"])
        if settings["use_table_recognition"] and data["table_res_list"]:
            out["table_res_list"] = [{key: table[key] for key in ("cell_box_list", "pred_html", "table_ocr_pred")}
                                     for table in data["table_res_list"]]
        if settings["use_seal_recognition"] and data["seal_res_list"]:
            out["seal_res_list"] = [ocr_result.to_json_dict(seal) for seal in data["seal_res_list"]]
        if settings["use_formula_recognition"] and data["formula_res_list"]:
            out["formula_res_list"] = [{k: v for k, v in formula.items() if k != "input_img"}
                                       for formula in data["formula_res_list"]]
        return plain(out)

    def to_html(self, data: dict) -> dict[str, str]:
        """LayoutParsingResultV2._to_html: `table_<region id>` -> each table's HTML (when tables are on)."""
        if not data["model_settings"]["use_table_recognition"]:
            return {}
        return {f"table_{t['table_region_id']}": t["pred_html"] for t in data["table_res_list"]}

    to_xlsx = to_html  # LayoutParsingResultV2._to_xlsx: the same HTML, made a workbook by save_to_xlsx

    def to_markdown(self, data: dict, input_path=None, pretty: bool = True, show_formula_number: bool = False) -> dict:
        """LayoutParsingResultV2._to_markdown: markdown_texts, markdown_images ({relative path: PIL image}),
        page_continuation_flags, page_index, input_path."""
        result = MarkdownConverter.convert(data["parsing_res_list"], handle_funcs_dict=self._handle_funcs(data, pretty),
                                           show_formula_number=show_formula_number, use_seg_flag=True,
                                           get_seg_flag_func=get_seg_flag, imgs_in_doc=data["imgs_in_doc"])
        result["page_index"] = None
        result["input_path"] = None if input_path is None else str(input_path)
        return result

    def save_markdown(self, data: dict, path, input_path=None) -> Path:
        """PaddleX's save_to_markdown: a `.md` path, or a folder to write `<input stem>.md` into; the images
        beside it under their relative paths (imgs/...jpg), encoded as PaddleX's OpenCV image writer does."""
        import cv2

        path = Path(path)
        if path.suffix.lower() not in (".md", ".markdown", ".mdown", ".mkd"):
            path = path / f"{Path(input_path).stem if input_path else 'array'}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        markdown = self.to_markdown(data, input_path)
        path.write_text(markdown["markdown_texts"], encoding="utf-8")
        for relative, picture in markdown["markdown_images"].items():
            if not picture:
                continue
            target = path.parent / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            ok, buf = cv2.imencode(target.suffix, np.asarray(picture)[:, :, ::-1])
            if ok:
                target.write_bytes(buf.tobytes())
        return path


    def save_visualization(self, data: dict, image: np.ndarray, path, fonts: FontChooser | None = None) -> None:
        """PaddleX's pictures (LayoutParsingResultV2._to_img): `preprocessed_img` (with the document preprocessor),
        `layout_det_res`, `region_det_res` (with region detection), `overall_ocr_res`, `table_cell_img` (with
        tables: their cells in red on the page), `seal_res_region<id>` and
        `layout_order_res` (each block tinted by its label, its reading-order number in red beside it). They go
        to `<path stem>_<name><suffix>` beside `path`."""
        from hpi.runtime_min.pipelines.seal import write_pictures

        write_pictures(self.named_pictures(data, image, fonts), path)

    def named_pictures(self, data: dict, image: np.ndarray, fonts: FontChooser | None = None) -> list:
        """The pictures save_visualization writes, (PaddleX's key, draw(target)) each."""
        fonts = fonts or self.ocr.fonts
        page = data["page_img"]
        pictures = []
        if data["model_settings"]["use_doc_preprocessor"]:
            pictures.append(("preprocessed_img", lambda target: self.doc.save_visualization(
                data["doc_preprocessor_res"], image, target, fonts=fonts)))
        pictures.append(("layout_det_res", lambda target: self.layout.save_visualization(
            data["layout_det_res"], page, target)))
        if data["model_settings"]["use_region_detection"]:
            pictures.append(("region_det_res", lambda target: self.region.save_visualization(
                data["region_det_res"], page, target)))
        pictures.append(("overall_ocr_res", lambda target: ocr_result.save_visualization(
            data["overall_ocr_res"], page, target, fonts=fonts)))
        if data["model_settings"]["use_table_recognition"] and data["table_res_list"]:
            pictures.append(("table_cell_img", lambda target: _cells_picture(data, page, target)))
        for seal in data["seal_res_list"]:
            pictures.append((f"seal_res_region{seal['seal_region_id']}", lambda target, seal=seal:
                             ocr_result.save_visualization(seal, seal["doc_input_img"], target, fonts=fonts)))
        pictures.append(("layout_order_res", lambda target: _order_picture(data, page, target, fonts)))
        return pictures


def _cells_picture(data: dict, page: np.ndarray, target) -> None:
    """PaddleX's `table_cell_img`: every table's cell boxes, red, 2 px, on the page."""
    from PIL import Image, ImageDraw

    canvas = Image.fromarray(np.ascontiguousarray(page[:, :, ::-1]))
    draw = ImageDraw.Draw(canvas)
    for table in data["table_res_list"]:
        for box in table["cell_box_list"]:
            draw.rectangle([int(v) for v in box], outline=(255, 0, 0), width=2)
    canvas.save(target)


def _order_picture(data: dict, page: np.ndarray, target, fonts: FontChooser | None) -> None:
    """PaddleX's `layout_order_res`: on the page, each block filled with its label's translucent colour and
    its order index in red at its top-right corner (font size 0.018 * width + 2)."""
    from PIL import Image, ImageDraw

    from hpi.runtime_min.ops.layout_parsing.geometry import get_show_color

    canvas = Image.fromarray(np.ascontiguousarray(page[:, :, ::-1]))
    draw = ImageDraw.Draw(canvas, "RGBA")
    size = int(0.018 * int(canvas.width)) + 2
    face = fonts.font() if fonts is not None else None
    font = face.at(size) if face is not None else None
    for block in data["parsing_res_list"]:
        bbox = [int(v) for v in block.bbox]
        draw.rectangle(bbox, fill=get_show_color(block.label, False))
        if block.order_index is not None and font is not None:
            position = (bbox[2] + 2, bbox[1] - size // 2)
            if int(canvas.width) - bbox[2] < size:
                position = (int(bbox[2] - size * 1.1), bbox[1] - size // 2)
            draw.text(position, str(block.order_index), font=font, fill="red")
    canvas.save(target)


def _table_switches(table, call: dict):
    """The table runner with PaddleX's table switches of a PP-StructureV3 call (its defaults where not given)."""
    switches = {**_TABLE_ONLY, **call}
    twin = copy.copy(table)
    twin.use_table_orientation_classify = switches["use_table_orientation_classify"]
    twin.use_ocr_results_with_table_cells = switches["use_ocr_results_with_table_cells"]
    twin.e2e = {"wired_table": switches["use_e2e_wired_table_rec_model"],
                "wireless_table": switches["use_e2e_wireless_table_rec_model"]}
    return twin


def _detector(models: dict, role: str, post: dict) -> DetectionRunner:
    from dataclasses import replace

    model = models.get(role)
    if model is None:
        raise BundleError(f"the bundle's {NAME} pipeline needs a '{role}' layout detection model")
    spec = model.entry.spec
    return DetectionRunner(model, replace(spec, postprocess=replace(spec.postprocess, **post)))


def build(name: str, models: dict, params: dict) -> LayoutParsingRunner:
    try:
        settings, ocr_params, layout, region = (params["model_settings"], params["ocr"], params["layout"],
                                                params.get("region"))
    except KeyError as exc:
        raise BundleError(f"the bundle's {NAME} params have no {exc}; recompile it") from None
    general = ocr.build("OCR", {role: models[role] for role in ("text_det", "text_rec", "textline_ori")
                                if role in models}, ocr_params)
    doc = None
    if settings["use_doc_preprocessor"]:
        doc = doc_preprocessor.build("doc_preprocessor", {role: models[role] for role in ("doc_ori", "doc_unwarp")
                                                          if role in models}, params["doc_preprocessor"])
    seal = None
    if settings["use_seal_recognition"]:
        from hpi.runtime_min.pipelines import seal as seal_pipeline

        seal = seal_pipeline.build("seal_recognition", {"text_det": models["seal_det"], "text_rec": models["seal_rec"]},
                                   params["seal"]).ocr
    table = formula = None
    if settings["use_table_recognition"]:
        from hpi.runtime_min.pipelines.table_recognition_v2 import TableRecognitionV2Runner, table_parts

        table_ocr = ocr.build("OCR", {role.removeprefix("table_"): models[role] for role in
                                      ("table_text_det", "table_text_rec", "table_textline_ori") if role in models},
                              params["table_ocr"])
        table = _table_switches(TableRecognitionV2Runner(table_ocr, table_parts(models)), {})
    if settings["use_formula_recognition"]:
        from hpi.runtime_min.pipelines.formula_recognition import FormulaRecognitionRunner

        model = models.get("formula_rec")
        if model is None:
            raise BundleError(f"the bundle's {NAME} pipeline needs a 'formula_rec' model; recompile it")
        formula = FormulaRecognitionRunner(model, model.entry.spec)
    return LayoutParsingRunner(general, _detector(models, "layout_det", layout), settings,
                               region=_detector(models, "region_det", region) if region else None, doc=doc, seal=seal,
                               table=table, formula=formula)

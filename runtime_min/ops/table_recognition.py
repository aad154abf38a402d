"""PaddleX 3.7.2's table_recognition post-processing (pipelines/table_recognition/
table_recognition_post_processing.py and utils.py, layout_parsing/utils.py's get_sub_regions_ocr_res):
the table's OCR lines picked from the page's OCR, the structure model's cells moved to page coordinates,
each OCR line matched to the cell it overlaps best, and the HTML assembled from the structure tokens and
the matched texts. Ported line by line (same numpy operations, same dtypes), so the HTML is PaddleX's.
"""

from __future__ import annotations

import numpy as np

__all__ = ["get_table_recognition_res", "get_neighbor_boxes_idx", "get_sub_regions_ocr_res", "match_table_and_ocr",
           "get_html_result"]


def _points_to_boxes(polys) -> np.ndarray:
    """PaddleX's convert_points_to_boxes: [N, 4, 2] → [N, 4] (left, top, right, bottom); empty → []."""
    if len(polys) == 0:
        return np.array([])
    polys = np.array(polys.copy() if hasattr(polys, "copy") else polys)
    return np.array([np.min(polys[:, :, 0], axis=1), np.min(polys[:, :, 1], axis=1),
                     np.max(polys[:, :, 0], axis=1), np.max(polys[:, :, 1], axis=1)]).T


def get_overlap_boxes_idx(src_boxes: np.ndarray, ref_boxes) -> list:
    """The source boxes overlapping a reference box by more than 3 px both ways (one index per pair)."""
    match = []
    if len(src_boxes) > 0 and len(ref_boxes) > 0:
        for ref in ref_boxes:
            w = np.minimum(ref[2], src_boxes[:, 2]) - np.maximum(ref[0], src_boxes[:, 0])
            h = np.minimum(ref[3], src_boxes[:, 3]) - np.maximum(ref[1], src_boxes[:, 1])
            match.extend(np.where((w > 3) & (h > 3))[0])
    return match


def get_sub_regions_ocr_res(ocr: dict, object_boxes) -> dict:
    """The OCR lines (rec_polys, rec_texts, rec_scores, rec_boxes) inside the object boxes, in OCR order."""
    boxes = ocr["rec_boxes"]
    match = set(get_overlap_boxes_idx(boxes, object_boxes))
    out = {"rec_polys": [], "rec_texts": [], "rec_scores": [], "rec_boxes": []}
    for i in range(len(boxes)):
        if i in match:
            for key in out:
                out[key].append(ocr[key][i])
    for key in ("rec_polys", "rec_scores", "rec_boxes"):
        out[key] = np.array(out[key])
    return out


def get_neighbor_boxes_idx(src_boxes: np.ndarray, ref_box) -> list:
    """utils.get_neighbor_boxes_idx: boxes overlapping the table horizontally whose vertical gap to it is
    small (PaddleX's neighbor_texts)."""
    if len(src_boxes) == 0:
        return []
    w = np.minimum(ref_box[2], src_boxes[:, 2]) - np.maximum(ref_box[0], src_boxes[:, 0])
    h = np.minimum(ref_box[3], src_boxes[:, 3]) - np.maximum(ref_box[1], src_boxes[:, 1])
    return list(np.where((w > 0) & (h < 3) & (h > -15))[0])


def convert_table_structure_pred_bbox(pred: dict, crop_start_point, img_shape) -> None:
    """Adds `cell_box_list`: each cell polygon moved by the crop's origin, boxed and clipped to the page."""
    cells = pred["bbox"]
    if cells:
        offset = np.array([crop_start_point[0], crop_start_point[1]] * 4)
        cells = np.array(cells)
        if cells.shape[-1] == 2:
            offset = offset.reshape(4, 2)
        cells = offset + cells
    boxes = _points_to_boxes(np.reshape(cells, (-1, 4, 2)))
    h, w = img_shape
    pred["cell_box_list"] = np.clip(boxes, 0, [w, h, w, h])


def distance(box_1, box_2) -> float:
    x1, y1, x2, y2 = box_1
    x3, y3, x4, y4 = box_2
    dis = abs(x3 - x1) + abs(y3 - y1) + abs(x4 - x2) + abs(y4 - y2)
    return dis + min(abs(x3 - x1) + abs(y3 - y1), abs(x4 - x2) + abs(y4 - y2))


def compute_iou(rec1, rec2) -> float:
    s1 = (rec1[2] - rec1[0]) * (rec1[3] - rec1[1])
    s2 = (rec2[2] - rec2[0]) * (rec2[3] - rec2[1])
    left, right = max(rec1[0], rec2[0]), min(rec1[2], rec2[2])
    top, bottom = max(rec1[1], rec2[1]), min(rec1[3], rec2[3])
    if left >= right or top >= bottom:
        return 0.0
    inter = (right - left) * (bottom - top)
    return (inter / (s1 + s2 - inter)) * 1.0


def _y_overlap_exceeds(b1, b2, threshold=0.6) -> bool:
    overlap = max(0, min(b1[3], b2[3]) - max(b1[1], b2[1]))
    return (overlap / min(b1[3] - b1[1], b2[3] - b2[1])) > threshold


def _sort_box_by_y_projection(boxes, threshold=0.6) -> list:
    """Group boxes into lines by vertical overlap (in top order), each line left to right."""
    if not boxes:
        return []
    items = sorted(enumerate(boxes), key=lambda item: item[1][1])
    lines, line = [], [items[0]]
    y0, y1 = items[0][1][1], items[0][1][3]
    for index, box in items[1:]:
        if _y_overlap_exceeds((0, y0, 0, y1), (0, box[1], 0, box[3]), threshold):
            line.append((index, box))
            y0, y1 = min(y0, box[1]), max(y1, box[3])
        else:
            lines.append(line)
            line, y0, y1 = [(index, box)], box[1], box[3]
    lines.append(line)
    for line in lines:
        line.sort(key=lambda item: item[1][0])
    return [index for line in lines for index, _ in line]


def match_table_and_ocr(cell_box_list, ocr_dt_boxes, cell_sort_by_y_projection: bool = False) -> dict:
    """{cell index: [OCR line indices]}: each line goes to the cell of least (1 - IoU, L1 distance); the first
    such cell in the list on ties."""
    matched = {}
    for i, ocr_box in enumerate(np.array(ocr_dt_boxes)):
        ocr_box = ocr_box.astype(np.float32)
        distances = [(distance(cell, ocr_box), 1.0 - compute_iou(cell, ocr_box)) for cell in cell_box_list]
        best = distances.index(sorted(distances, key=lambda item: (item[1], item[0]))[0])
        matched.setdefault(best, []).append(i)
    if cell_sort_by_y_projection:
        for cell in matched:
            order = _sort_box_by_y_projection([ocr_dt_boxes[i] for i in matched[cell]], 0.7)
            matched[cell] = [matched[cell][i] for i in order]
    return matched


def get_html_result(matched_index: dict, ocr_contents, pred_structures: list) -> str:
    """The structure tokens with each `</td>`'s matched texts inserted (PaddleX's get_html_result, including
    its `extend` of strings character by character, which the join undoes)."""
    pred_html = []
    td_index = 0
    html = "".join(pred_structures[0:3])
    for tag in pred_structures[3:-3]:
        if "</td>" not in tag:
            pred_html.append(tag)
            continue
        if tag == "<td></td>":
            pred_html.extend("<td>")
        if td_index in matched_index:
            cell = matched_index[td_index]
            bold = "<b>" in ocr_contents[cell[0]] and len(cell) > 1
            if bold:
                pred_html.extend("<b>")
            for i, index in enumerate(cell):
                content = ocr_contents[index]
                if len(cell) > 1:
                    if len(content) == 0:
                        continue
                    if content[0] == " ":
                        content = content[1:]
                    if "<b>" in content:
                        content = content[3:]
                    if "</b>" in content:
                        content = content[:-4]
                    if len(content) == 0:
                        continue
                    if i != len(cell) - 1 and content[-1] != " ":
                        content += " "
                pred_html.extend(content)
            if bold:
                pred_html.extend("</b>")
        pred_html.append("</td>" if tag == "<td></td>" else tag)
        td_index += 1
    return html + "".join(pred_html) + "".join(pred_structures[-3:])


def get_table_recognition_res(table_box, structure: dict, ocr: dict, img_shape, cells_texts: list,
                              use_table_cells_ocr_results: bool, cell_sort_by_y_projection: bool = False) -> dict:
    """One table's `cell_box_list`, `table_ocr_pred` and `pred_html`. `structure` is the structure model's
    result (its `bbox` in crop coordinates, `structure` tokens), `ocr` the page's OCR result, img_shape the
    page's (h, w) and `cells_texts` the per-cell OCR texts when use_table_cells_ocr_results."""
    structure = dict(structure)
    table_box = np.array([table_box])
    table_ocr_pred = get_sub_regions_ocr_res(ocr, table_box)
    start = [table_box[0][0], table_box[0][1]]
    if len(structure["bbox"]) == 0 or len(table_ocr_pred["rec_boxes"]) == 0:
        cells = []
        if len(structure["bbox"]) != 0:
            convert_table_structure_pred_bbox(structure, start, img_shape)
            cells = structure["cell_box_list"]
        return {"cell_box_list": cells, "table_ocr_pred": table_ocr_pred,
                "pred_html": " ".join(list(structure["structure"]))}
    convert_table_structure_pred_bbox(structure, start, img_shape)
    cells = structure["cell_box_list"]
    if use_table_cells_ocr_results:
        boxes, texts = cells, cells_texts
    else:
        boxes, texts = table_ocr_pred["rec_boxes"], table_ocr_pred["rec_texts"]
    matched = match_table_and_ocr(cells, boxes, cell_sort_by_y_projection=cell_sort_by_y_projection)
    return {"cell_box_list": cells, "table_ocr_pred": table_ocr_pred,
            "pred_html": get_html_result(matched, texts, structure["structure"])}

"""PaddleX 3.7.2's table_recognition_v2 post-processing (pipelines/table_recognition/
table_recognition_post_processing_v2.py, Apache-2.0, ported): the detected cells sorted into rows, the rows
aligned with the structure model's rows, each OCR line matched to the cell holding most of it, and the HTML
assembled from the structure tokens and the matched texts. Same numpy operations and order as PaddleX, so the
HTML is PaddleX's.
"""

from __future__ import annotations

import numpy as np

from hpi.runtime_min.ops.table_recognition import _points_to_boxes, get_sub_regions_ocr_res

__all__ = ["get_table_recognition_res_v2", "sort_table_cells_boxes", "find_row_start_index"]


def _cells_to_page(cells: list, crop_start_point, img_shape) -> np.ndarray:
    """convert_table_structure_pred_bbox (v2): 8-number cells moved by the crop origin, boxed, clipped."""
    if cells:
        offset = np.array([crop_start_point[0], crop_start_point[1]] * 4)
        cells = np.array(cells)
        if cells.shape[-1] == 2:
            offset = offset.reshape(4, 2)
        cells = offset + cells
    boxes = _points_to_boxes(np.reshape(cells, (-1, 4, 2)))
    h, w = img_shape
    return np.clip(boxes, 0, [w, h, w, h])


def compute_inter(rec1, rec2) -> float:
    """The share of rec2 (an OCR box) inside rec1 (a cell)."""
    x_left, y_top = max(rec1[0], rec2[0]), max(rec1[1], rec2[1])
    x_right, y_bottom = min(rec1[2], rec2[2]), min(rec1[3], rec2[3])
    inter_area = max(0, x_right - x_left) * max(0, y_bottom - y_top)
    rec2_area = (rec2[2] - rec2[0]) * (rec2[3] - rec2[1])
    if rec2_area == 0:
        return 0
    return inter_area / rec2_area


def match_table_and_ocr(cell_box_list, ocr_dt_boxes, table_cells_flag) -> list[dict]:
    """Per row of cells, {cell index in the row: [OCR indices holding > 70 % inside it]}. PaddleX passes the
    same list as `table_cells_flag` and `row_start_index`, so its padding branches never run; left out."""
    all_matched = []
    ocr_boxes = np.array(ocr_dt_boxes)
    for k in range(len(table_cells_flag) - 1):
        matched = {}
        for i, table_box in enumerate(cell_box_list[table_cells_flag[k]:table_cells_flag[k + 1]]):
            if len(table_box) == 8:
                table_box = [np.min(table_box[0::2]), np.min(table_box[1::2]), np.max(table_box[0::2]),
                             np.max(table_box[1::2])]
            for j, ocr_box in enumerate(ocr_boxes):
                if compute_inter(table_box, ocr_box) > 0.7:
                    matched.setdefault(i, []).append(j)
        all_matched.append(matched)
    return all_matched


def get_html_result(all_matched_index: list, ocr_contents, pred_structures: list, table_cells_flag) -> str:
    """The structure tokens with each cell's matched texts (several joined by spaces, `<b>` kept once)."""
    pred_html = []
    td_index = td_count = matched_list_index = 0
    html = "".join(pred_structures[0:3])
    for tag in pred_structures[3:-3]:
        matched_index = all_matched_index[matched_list_index]
        if "</td>" not in tag:
            pred_html.append(tag)
            continue
        if tag == "<td></td>":
            pred_html.append("<td>")
        if td_index in matched_index:
            if len(matched_index[td_index]) == 0:
                continue
            many = len(matched_index[td_index]) > 1
            b_with = "<b>" in ocr_contents[matched_index[td_index][0]] and many
            if b_with:
                pred_html.append("<b>")
            for i, idx in enumerate(matched_index[td_index]):
                content = ocr_contents[idx]
                if many:
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
                    if i != len(matched_index[td_index]) - 1 and content[-1] != " ":
                        content += " "
                pred_html.append(content)
            if b_with:
                pred_html.append("</b>")
        pred_html.append("</td>" if tag == "<td></td>" else tag)
        td_index += 1
        td_count += 1
        if td_count >= table_cells_flag[matched_list_index + 1] and matched_list_index < len(all_matched_index) - 1:
            matched_list_index += 1
            td_index = 0
    return html + "".join(pred_html) + "".join(pred_structures[-3:])


def sort_table_cells_boxes(boxes) -> tuple[list, list[int]]:
    """Cells into rows (top within 10 px of the row's first), each row left to right; (cells, row starts)."""
    rows, current_row, current_y = [], [], None
    for box in sorted(boxes, key=lambda b: b[1]):
        y1 = box[1]
        if current_y is None:
            current_row.append(box)
            current_y = y1
        elif abs(y1 - current_y) <= 10:
            current_row.append(box)
        else:
            current_row.sort(key=lambda x: x[0])
            rows.append(current_row)
            current_row, current_y = [box], y1
    if current_row:
        current_row.sort(key=lambda x: x[0])
        rows.append(current_row)
    sorted_boxes, flag = [], [0]
    for i, row in enumerate(rows):
        sorted_boxes.extend(row)
        flag.append(flag[i] + len(row))
    return sorted_boxes, flag


def find_row_start_index(html_list: list) -> list[int]:
    """The index (among cells) of each structure row's first cell."""
    starts, current, inside_row = [], 0, False
    for keyword in html_list:
        if keyword == "<tr>":
            inside_row = True
        elif keyword == "</tr>":
            inside_row = False
        elif keyword in ("<td></td>", "</td>") and inside_row:
            starts.append(current)
            inside_row = False
        if keyword in ("<td></td>", "</td>"):
            current += 1
    return starts


def map_and_get_max(table_cells_flag, row_start_index) -> list:
    """Per structure row start, the largest detected row start at or before it."""
    max_values, i, max_value = [], 0, None
    for start in row_start_index:
        while i < len(table_cells_flag) and table_cells_flag[i] <= start:
            if max_value is None or table_cells_flag[i] > max_value:
                max_value = table_cells_flag[i]
            i += 1
        max_values.append(max_value if max_value is not None else start)
    return max_values


def get_table_recognition_res_v2(table_box, structure: list, cells: list, ocr: dict, img_shape,
                                 table_ocr_pred: dict, cells_texts: list, use_cells_ocr: bool,
                                 cells_split_ocr: bool) -> dict:
    """`cell_box_list`, `table_ocr_pred`, `pred_html` of one table (PaddleX's get_table_recognition_res v2);
    `cells` are [x1, y1, x2, y2] in the table image, `img_shape` the (h, w) of the page OCR ran on."""
    cells = [[x1, y1, x2, y1, x2, y2, x1, y2] for x1, y1, x2, y2 in cells]
    table_box = np.array([table_box])
    if not (use_cells_ocr and cells_split_ocr):
        table_ocr_pred = get_sub_regions_ocr_res(ocr, table_box)
    start = [table_box[0][0], table_box[0][1]]
    if len(cells) == 0 or len(table_ocr_pred["rec_boxes"]) == 0:
        pred_html = " ".join(structure)
        if len(cells) != 0:
            cells = _cells_to_page(cells, start, img_shape)
        return {"cell_box_list": cells, "table_ocr_pred": table_ocr_pred, "pred_html": pred_html}
    cells = _cells_to_page(cells, start, img_shape)
    if use_cells_ocr and not cells_split_ocr:
        ocr_boxes, texts = cells, cells_texts
    else:
        ocr_boxes, texts = table_ocr_pred["rec_boxes"], table_ocr_pred["rec_texts"]
    cells, flag = sort_table_cells_boxes(cells)
    row_start_index = find_row_start_index(structure)
    flag = map_and_get_max(flag, row_start_index)
    flag.append(len(cells))
    row_start_index.append(len(cells))
    matched = match_table_and_ocr(cells, ocr_boxes, flag)
    pred_html = get_html_result(matched, texts, structure, row_start_index)
    return {"cell_box_list": cells, "table_ocr_pred": table_ocr_pred, "pred_html": pred_html}

"""The cell handling of PaddleX 3.7.2's table_recognition_v2 pipeline (pipelines/table_recognition/pipeline_v2.py's
methods, Apache-2.0, ported): NMS of the cell detector's boxes, their reconciliation with the structure model's
cell count and the OCR lines, OCR lines split at cell borders, cells to HTML without a structure model, and the
geometry of turned tables. Same arithmetic and order as PaddleX.

`combine_rectangles` clusters with scikit-learn's KMeans as PaddleX does (it declares the same requirement); it
runs only when the detected cells and the structure disagree and OCR lines fall outside every cell.
"""

from __future__ import annotations

import re

import numpy as np

from hpi.core.errors import BackendUnavailable

__all__ = ["cells_det_results_nms", "get_region_ocr_det_boxes", "cells_det_results_reprocessing",
           "split_ocr_boxes", "map_cells_to_original_image", "rotate_table_box", "trans_cells_det_results_to_html"]


def cells_det_results_nms(boxes: list, scores: list, threshold: float = 0.3) -> tuple[list, list]:
    boxes, scores = np.array(boxes), np.array(scores)
    picked = []
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    order = scores.argsort()[::-1]
    while order.size > 0:
        i = order[0]
        picked.append(i)
        w = np.maximum(0.0, np.minimum(x2[i], x2[order[1:]]) - np.maximum(x1[i], x1[order[1:]]))
        h = np.maximum(0.0, np.minimum(y2[i], y2[order[1:]]) - np.maximum(y1[i], y1[order[1:]]))
        inter = w * h
        ovr = inter / (areas[i] + areas[order[1:]] - inter)
        order = order[np.where(ovr <= threshold)[0] + 1]
    return boxes[picked].tolist(), scores[picked].tolist()


def get_region_ocr_det_boxes(ocr_boxes: list, table_box) -> list:
    """The OCR boxes wholly inside the table, in the table's coordinates."""
    x_min_t, y_min_t, x_max_t, y_max_t = table_box
    return [[x1 - x_min_t, y1 - y_min_t, x2 - x_min_t, y2 - y_min_t] for x1, y1, x2, y2 in ocr_boxes
            if x1 >= x_min_t and y1 >= y_min_t and x2 <= x_max_t and y2 <= y_max_t]


def _cover(box1, box2) -> float:
    """The share of box1 inside box2 (PaddleX calls it IoU)."""
    x_left, y_top = max(box1[0], box2[0]), max(box1[1], box2[1])
    x_right, y_bottom = min(box1[2], box2[2]), min(box1[3], box2[3])
    if x_right <= x_left or y_bottom <= y_top:
        return 0.0
    return (x_right - x_left) * (y_bottom - y_top) / float((box1[2] - box1[0]) * (box1[3] - box1[1]))


def combine_rectangles(rectangles, n: int):
    """At most n boxes: KMeans (random_state 0) on the centres, each cluster's bounding box. PaddleX checks for
    scikit-learn on every call (function_requires_deps), before its early return; so does this."""
    try:
        from sklearn.cluster import KMeans
    except ImportError:
        raise BackendUnavailable("table_recognition_v2 merges cells with scikit-learn's KMeans here, as PaddleX "
                                 "does; install it: pip install 'hpi-aot[table]'") from None
    if n >= len(rectangles):
        return rectangles
    centers = np.array([[(r[0] + r[2]) / 2, (r[1] + r[3]) / 2] for r in rectangles])
    labels = KMeans(n_clusters=n, random_state=0, n_init="auto").fit_predict(centers)
    combined = []
    for i in range(n):
        indices = np.where(labels == i)[0]
        if len(indices) == 0:
            continue
        cluster = np.array([rectangles[idx] for idx in indices])
        combined.append([np.min(cluster[:, 0]), np.min(cluster[:, 1]), np.max(cluster[:, 2]), np.max(cluster[:, 3])])
    return combined


def cells_det_results_reprocessing(cells, scores, ocr_boxes, html_boxes: int):
    """The detected cells made `html_boxes` many (the structure model's cell count): the best-scored kept when
    there are more, OCR lines no cell covers merged in as cells."""
    cells, scores, ocr_boxes = np.array(cells), np.array(scores), np.array(ocr_boxes)
    more_cells = False
    if len(cells) == html_boxes:
        return cells
    if len(cells) > html_boxes:
        more_cells = True
        cells = cells[np.argsort(-scores)[:html_boxes]].tolist()
    missed = []
    for ocr_rect in ocr_boxes:
        covers, large = [], False
        for cell in cells:
            iou = _cover(ocr_rect, cell)
            if iou > 0:
                covers.append(iou)
            if iou >= 0.6 or sum(covers) >= 0.6:
                large = True
                break
        if not large:
            missed.append(ocr_rect)
    if not missed:
        final = cells if more_cells else cells.tolist()
    elif more_cells:
        final = combine_rectangles(cells + missed, html_boxes)
    else:
        final = np.concatenate((cells, combine_rectangles(missed, html_boxes - len(cells))), axis=0).tolist()
    if len(final) <= 0.6 * html_boxes:
        final = combine_rectangles(ocr_boxes, html_boxes)
    return final


def _split_box(ocr_box, indices, cells) -> list:
    """An OCR box cut at the borders of the cells it spans (left of, inside each, between, right of)."""
    parts = []
    spans = [cells[i] for i in indices]
    if ocr_box[0] < spans[0][0]:
        parts.append([ocr_box[0], ocr_box[1], spans[0][0], ocr_box[3]])
    for i, cell in enumerate(spans):
        parts.append([max(ocr_box[0], cell[0]), ocr_box[1], min(ocr_box[2], cell[2]), ocr_box[3]])
        if i < len(spans) - 1 and cell[2] < spans[i + 1][0]:
            parts.append([cell[2], ocr_box[1], spans[i + 1][0], ocr_box[3]])
    if spans[-1][2] < ocr_box[2]:
        parts.append([spans[-1][2], ocr_box[1], ocr_box[2], ocr_box[3]])
    unique, seen = [], set()
    for box in parts:
        if tuple(box) not in seen:
            seen.add(tuple(box))
            unique.append(box)
    return unique


def split_ocr_boxes(cells, ocr: dict, image: np.ndarray, recognize, k: int = 2) -> dict:
    """PaddleX's split_ocr_bboxes_by_table_cells: an OCR line spanning >= k cells (over half of each cell inside
    the line) is cut at the cell borders and each piece read again by `recognize(crop) -> text`; `ocr` (a table's
    sub-region OCR) gets the new rec_boxes / rec_texts lists, in place, and is returned."""
    boxes = ocr["rec_boxes"].tolist() if hasattr(ocr["rec_boxes"], "tolist") else ocr["rec_boxes"]
    texts = ocr["rec_texts"]
    new_boxes, new_texts = [], []
    for ocr_box, text in zip(boxes, texts):
        spans = [i for i, cell in enumerate(cells) if _share_of(ocr_box, cell) > 0.5]
        spans.sort(key=lambda i: cells[i][0])
        if len(spans) < k:
            new_boxes.append(ocr_box)
            new_texts.append(text)
            continue
        parts = _split_box(ocr_box, spans, cells)
        for box in parts:
            x1, y1, x2, y2 = int(box[0]), int(box[1]), int(box[2]), int(box[3])
            ok = y2 - y1 > 1 and x2 - x1 > 1 and y1 < image.shape[0] and x1 < image.shape[1]
            new_texts.append(recognize(image[y1:y2, x1:x2, :]) if ok else "")
        new_boxes.extend(parts)
    ocr["rec_boxes"], ocr["rec_texts"] = new_boxes, new_texts
    return ocr


def _share_of(box1, box2) -> float:
    """Intersection over box2's area (PaddleX's calculate_iou in split_ocr_bboxes_by_table_cells)."""
    x_left, y_top = max(box1[0], box2[0]), max(box1[1], box2[1])
    x_right, y_bottom = min(box1[2], box2[2]), min(box1[3], box2[3])
    if x_right < x_left or y_bottom < y_top:
        return 0.0
    return (x_right - x_left) * (y_bottom - y_top) / ((box2[2] - box2[0]) * (box2[3] - box2[1]))


def rotate_table_box(box, angle: str, img_width, img_height) -> list:
    """A table box on the page turned by `angle` (np.rot90 k = angle / 90) of the page's (w, h)."""
    x1, y1, x2, y2 = box[0], box[1], box[2], box[3]
    if angle == "90":
        return [y1, img_width - x2, y2, img_width - x1]
    if angle == "180":
        return [img_width - x2, img_height - y2, img_width - x1, img_height - y1]
    if angle == "270":
        return [img_height - y2, x1, img_height - y1, x2]
    return list(box)


def map_cells_to_original_image(detections, angle: str, img_width, img_height) -> list:
    """Cell boxes of a turned page back on the page as read (PaddleX's map_cells_to_original_image)."""
    mapped = []
    for det in detections:
        x1, y1, x2, y2 = det[0], det[1], det[2], det[3]
        if angle == "270":
            box = [y1, img_width - x2, y2, img_width - x1]
        elif angle == "180":
            box = [img_width - x2, img_height - y2, img_width - x1, img_height - y1]
        else:  # "90"
            box = [img_height - y2, x1, img_height - y1, x2]
        mapped.append(np.array(box))
    return mapped


_KEYWORDS = ["<thead>", "</thead>", "<tbody>", "</tbody>", "<tr>", "</tr>", "<td>", "<td", ">", "</td>",
             *[f'colspan="{n}"' for n in range(2, 21)], *[f'rowspan="{n}"' for n in range(2, 21)]]
_SPLIT = re.compile("(" + "|".join(re.escape(k) for k in _KEYWORDS) + ")")


def _cluster_positions(positions, tolerance) -> list:
    if not positions:
        return []
    positions = sorted(set(positions))
    clustered, current = [], [positions[0]]
    for pos in positions[1:]:
        if abs(pos - current[-1]) <= tolerance:
            current.append(pos)
        else:
            clustered.append(sum(current) / len(current))
            current = [pos]
    clustered.append(sum(current) / len(current))
    return clustered


def trans_cells_det_results_to_html(cells) -> list[str]:
    """HTML tokens of a grid built from the cell boxes alone (edges clustered within 5 px), spans included."""
    xs = _cluster_positions([x for c in cells for x in (c[0], c[2])], 5)
    ys = _cluster_positions([y for c in cells for y in (c[1], c[3])], 5)
    num_rows, num_cols = len(ys) - 1, len(xs) - 1
    infos, cell_map = [], {}
    for index, (x1, y1, x2, y2) in enumerate(cells):
        xi1 = min(range(len(xs)), key=lambda i: abs(xs[i] - x1))
        xi2 = min(range(len(xs)), key=lambda i: abs(xs[i] - x2))
        yi1 = min(range(len(ys)), key=lambda i: abs(ys[i] - y1))
        yi2 = min(range(len(ys)), key=lambda i: abs(ys[i] - y2))
        col_start, row_start = min(xi1, xi2), min(yi1, yi2)
        rowspan = max(yi1, yi2) - row_start or 1
        colspan = max(xi1, xi2) - col_start or 1
        infos.append({"row_start": row_start, "col_start": col_start, "rowspan": rowspan, "colspan": colspan})
        for r in range(row_start, row_start + rowspan):
            for c in range(col_start, col_start + colspan):
                cell_map.setdefault((r, c), index)
    html = "<table><tbody>"
    for r in range(num_rows):
        html += "<tr>"
        c = 0
        while c < num_cols:
            if (r, c) in cell_map:
                info = infos[cell_map[(r, c)]]
                if info["row_start"] == r and info["col_start"] == c:
                    rs = f' rowspan="{info["rowspan"]}"' if info["rowspan"] > 1 else ""
                    cs = f' colspan="{info["colspan"]}"' if info["colspan"] > 1 else ""
                    html += f"<td{rs}{cs}></td>"
                c += info["colspan"]
            else:
                html += "<td></td>"
                c += 1
        html += "</tr>"
    html += "</tbody></table>"
    return [part for part in _SPLIT.split(html) if part]

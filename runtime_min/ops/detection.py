"""Object / layout detection pre/post-processing, ported from PaddleX 3.7.2 (object_detection/).

PaddleX's DetPredictor reads the image as RGB and runs the inference.yml `Preprocess` ops in the
listed order: `Resize` (to target_size [h, w], or keeping the ratio), `NormalizeImage`, `Permute`;
`ToBatch` then hands the model, by position, `im_shape` (the resized [h, w]; RT-DETR and PP-DocLayout
only), `image` and `scale_factor` ([h_scale, w_scale], resized / original). The exported model ends in
NMS or a top-k and returns boxes [K, 6] = (class, score, x1, y1, x2, y2) in original pixels plus the
box count per image; `DetPostProcess` filters them by `threshold`, optionally runs PaddleX's layout
NMS / box merging / unclipping, clips them to the image and names the classes. The arithmetic follows
PaddleX step by step (Python `round` for kept-ratio sizes, float32 normalisation, Python `max`/`min`
for clipping, so a clipped coordinate is the int 0 or the image side, as in PaddleX's JSON).
"""

from __future__ import annotations

import cv2
import numpy as np

from hpi.core.specs import DetectionSpec
from hpi.runtime_min.ops.classification import INTERPOLATIONS
from hpi.runtime_min.ops.normalize import normalize

__all__ = ["resize", "preprocess", "split_batch", "paddle_nms_order", "topk_order", "postprocess"]

# Model input name for each of PaddleX's ToBatch keys.
FEED_NAMES = {"img_size": "im_shape", "img": "image", "scale_factors": "scale_factor"}


def resize(rgb: np.ndarray, target_size: list[int], keep_ratio: bool, interpolation: str):
    """PaddleX's detection `Resize`: (image, [w_scale, h_scale], resized [w, h]).

    target_size is inference.yml's [h, w]. With keep_ratio the scale is
    min(max(target) / max(image), min(target) / min(image)) and both sides are Python-rounded.
    """
    h, w = rgb.shape[:2]
    size = [int(target_size[1]), int(target_size[0])]  # PaddleX reverses it to [w, h]
    if keep_ratio:
        scale = min(max(size) / max(w, h), min(size) / min(w, h))
        size = [round(w * scale), round(h * scale)]
    out = rgb if size == [w, h] else cv2.resize(rgb, tuple(size), interpolation=INTERPOLATIONS[interpolation])
    new_w, new_h = out.shape[1], out.shape[0]
    return out, [new_w / w, new_h / h], [new_w, new_h]


def preprocess(bgr: np.ndarray, spec: DetectionSpec) -> dict[str, np.ndarray]:
    """One BGR image → the model's feeds (batch of one), keyed by Paddle's input names."""
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)  # PaddleX: ReadImage(format="RGB")
    r = spec.resize
    img, scale_factors, img_size = resize(rgb, r.target_size, r.keep_ratio, r.interpolation)
    values = {"img": normalize(img, spec.normalize),
              "img_size": img_size[::-1],        # ToBatch: [h, w]
              "scale_factors": scale_factors[::-1]}  # ToBatch: [h_scale, w_scale]
    return {FEED_NAMES[key]: np.asarray(values[key], dtype=np.float32)[None] for key in spec.feeds}


def split_batch(boxes: np.ndarray, counts: np.ndarray) -> list[np.ndarray]:
    """PaddleX's `_format_output`: the [sum(counts), 6] boxes cut into one array per image."""
    out, start = [], 0
    for n in np.asarray(counts).reshape(-1):
        out.append(np.array(boxes[start:start + int(n)]))
        start += int(n)
    return out


def paddle_nms_order(outputs: list[np.ndarray]) -> list[np.ndarray]:
    """(boxes [K, 6], counts [N], ...) with each image's boxes in the order Paddle's multiclass_nms3
    writes them: by class, then score descending, equal scores by top edge, then left edge.

    Equal scores are real: cells of a flat image region give identical features, hence identical scores
    and boxes shifted by whole cells. Paddle keeps such ties in cell order (its sorts are stable), that
    is row by row, which for boxes shifted by whole cells is the order of their top, then left edges.

    The ONNX that paddle2onnx makes of it restores that order with a TopK over class ids, and OpenVINO's
    TopK is not stable: it lists a class's boxes in another order. PaddleX keeps the model's order in
    its results, so the runtime and the compiler's comparison put them back first.
    """
    boxes, counts = outputs[0], np.asarray(outputs[1]).reshape(-1)
    if boxes.ndim != 2 or boxes.shape[1] < 2 or int(counts.sum()) != len(boxes):
        return list(outputs)  # not this layout: leave it to the comparison to report
    parts = [seg[np.lexsort((seg[:, 2], seg[:, 3], -seg[:, 1], seg[:, 0]))] for seg in split_batch(boxes, counts)]
    return [np.concatenate(parts) if parts else boxes, *outputs[1:]]


def topk_order(outputs: list[np.ndarray]) -> list[np.ndarray]:
    """(boxes [K, 6], counts [N], ...) with each image's boxes by score descending, equal scores by top
    edge, left edge, then class: the order of a DETR head's top-k. Neither Paddle's nor OpenVINO's
    top-k defines the order of equal scores, so for those this only makes the runtime's output
    deterministic; it cannot reproduce PaddleX's."""
    boxes, counts = outputs[0], np.asarray(outputs[1]).reshape(-1)
    if boxes.ndim != 2 or boxes.shape[1] < 4 or int(counts.sum()) != len(boxes):
        return list(outputs)
    parts = [seg[np.lexsort((seg[:, 0], seg[:, 2], seg[:, 3], -seg[:, 1]))] for seg in split_batch(boxes, counts)]
    return [np.concatenate(parts) if parts else boxes, *outputs[1:]]


def _iou(a, b) -> float:
    """PaddleX's layout `iou`: pixel-inclusive (+1) areas."""
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0]) + 1) * max(0, min(a[3], b[3]) - max(a[1], b[1]) + 1)
    area_a = (a[2] - a[0] + 1) * (a[3] - a[1] + 1)
    area_b = (b[2] - b[0] + 1) * (b[3] - b[1] + 1)
    return inter / float(area_a + area_b - inter)


def layout_nms(boxes: np.ndarray, iou_same: float = 0.6, iou_diff: float = 0.98) -> list[int]:
    """PaddleX's `nms` for layout_nms: greedy by score, a stricter IoU across classes."""
    indices = list(np.argsort(boxes[:, 1])[::-1])
    selected = []
    while indices:
        current = indices.pop(0)
        selected.append(current)
        cur = boxes[current]
        indices = [i for i in indices
                   if _iou(cur[2:], boxes[i][2:]) < (iou_same if cur[0] == boxes[i][0] else iou_diff)]
    return selected


def _contained(a, b) -> bool:
    inter = max(0, min(a[4], b[4]) - max(a[2], b[2])) * max(0, min(a[5], b[5]) - max(a[3], b[3]))
    area = (a[4] - a[2]) * (a[5] - a[3])
    return (inter / area if area > 0 else 0) >= 0.9


def _containment(boxes, formula_index, category_index=None, mode=None):
    """PaddleX's `check_containment`; with a category and mode, only pairs where that category is the
    container ("large") or the contained box ("small") count."""
    n = len(boxes)
    contains, contained = np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    for i in range(n):
        for j in range(n):
            if i == j or (formula_index is not None and boxes[i][0] == formula_index
                          and boxes[j][0] != formula_index):
                continue
            if category_index is not None and mode is not None:
                if boxes[j if mode == "large" else i][0] != category_index:
                    continue
            if _contained(boxes[i], boxes[j]):
                contained[i] = contains[j] = 1
    return contains, contained


def _merge(boxes: np.ndarray, labels: list[str], merge_mode) -> np.ndarray:
    """PaddleX's layout_merge_bboxes_mode: one mode for every box, or a {class id: mode} map applied per class."""
    formula = labels.index("formula") if "formula" in labels else None
    if isinstance(merge_mode, str):
        if merge_mode == "union":
            return boxes
        contains, contained = _containment(boxes[:, :6], formula)
        return boxes[contained == 0] if merge_mode == "large" else boxes[(contains == 0) | (contained == 1)]
    keep = np.ones(len(boxes), dtype=bool)
    # The manifest is JSON: a map read from a bundle has string keys (PaddleX compares them to the float ids).
    for category, mode in merge_mode.items():
        if mode == "union":
            continue
        contains, contained = _containment(boxes[:, :6], formula, int(category), mode)
        keep &= (contained == 0) if mode == "large" else ((contains == 0) | (contained == 1))
    return boxes[keep]


def _unclip(boxes: np.ndarray, ratio) -> np.ndarray:
    widths, heights = boxes[:, 4] - boxes[:, 2], boxes[:, 5] - boxes[:, 3]
    new_w, new_h = widths * ratio[0], heights * ratio[1]
    cx, cy = boxes[:, 2] + widths / 2, boxes[:, 3] + heights / 2
    return np.column_stack((boxes[:, 0], boxes[:, 1], cx - new_w / 2, cy - new_h / 2, cx + new_w / 2,
                            cy + new_h / 2))


def _filter_large_image(boxes: np.ndarray, labels: list[str], img_size) -> np.ndarray:
    """PaddleX drops an `image` box that covers most of the picture (82 % landscape, 93 % portrait)."""
    area_thres = 0.82 if img_size[0] > img_size[1] else 0.93
    image_index = labels.index("image") if "image" in labels else None
    kept = []
    for box in boxes:
        label_index, _, xmin, ymin, xmax, ymax = box[:6]
        if label_index == image_index:
            xmin, ymin = max(0, xmin), max(0, ymin)
            xmax, ymax = min(img_size[0], xmax), min(img_size[1], ymax)
            if (xmax - xmin) * (ymax - ymin) > area_thres * img_size[0] * img_size[1]:
                continue
        kept.append(box)
    return np.array(kept) if kept else boxes


def postprocess(boxes: np.ndarray, img_size, threshold, labels: list[str], layout_nms_on: bool = False,
                unclip_ratio=None, merge_mode: str | None = None) -> list[dict]:
    """PaddleX's `DetPostProcess.apply` on one image's [K, 6] boxes; img_size is the original [w, h]."""
    if isinstance(threshold, float):
        boxes = boxes[(boxes[:, 1] > threshold) & (boxes[:, 0] > -1), :]
    elif isinstance(threshold, dict):  # per class id; PaddleX regroups the boxes by class here
        # The manifest is JSON, so a per-class map read from a bundle has string keys.
        threshold = {int(k): v for k, v in threshold.items()}
        groups = [b[(b[:, 1] > threshold.get(int(c), 0.5)) & (b[:, 0] > -1)]
                  for c in np.unique(boxes[:, 0]) for b in [boxes[boxes[:, 0] == c]]]
        boxes = np.vstack(groups) if groups else np.array([])
    if layout_nms_on:
        boxes = np.array(boxes[layout_nms(boxes[:, :6])])
    if len(boxes) > 1 and boxes.shape[1] == 6:
        boxes = _filter_large_image(boxes, labels, img_size)
    if merge_mode:
        boxes = _merge(boxes, labels, merge_mode)
    if boxes.size == 0:
        return []
    if unclip_ratio:
        boxes = _unclip(boxes, unclip_ratio)
    return restructured_boxes(boxes, labels, img_size)


def restructured_boxes(boxes: np.ndarray, labels: list[str], img_size) -> list[dict]:
    """PaddleX's `restructured_boxes`: [class, score, x1, y1, x2, y2] rows clipped to the image ([w, h]),
    empty ones dropped. Python max/min as PaddleX: a clipped side becomes the int 0 / w / h, the rest stay
    float32."""
    w, h = img_size
    out = []
    for box in boxes:
        xmin, ymin, xmax, ymax = max(0, box[2]), max(0, box[3]), min(w, box[4]), min(h, box[5])
        if xmax <= xmin or ymax <= ymin:
            continue
        out.append({"cls_id": int(box[0]), "label": labels[int(box[0])], "score": float(box[1]),
                    "coordinate": [xmin, ymin, xmax, ymax]})
    return out

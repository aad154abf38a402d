"""Instance segmentation post-processing, ported from PaddleX 3.7.2 (instance_segmentation/processors.py).

Pre-processing is detection's (ops/detection.py). The model returns boxes [K, 6], the box count and
masks [K, H, W] at the original image size. `InstanceSegPostProcess` keeps the boxes whose score is
above the threshold (and class > -1) with their masks, clips the boxes to the image (dropping empty
ones, as detection does), then crops each kept mask to its box's rounded coordinates.
"""

from __future__ import annotations

import numpy as np

from hpi.runtime_min.ops.detection import restructured_boxes, split_batch, topk_order

__all__ = ["topk_masks_order", "postprocess"]


def topk_masks_order(outputs: list[np.ndarray]) -> list[np.ndarray]:
    """(boxes [K, 6], counts [N], masks [K, H, W]) with boxes in detection's `topk_order` and the masks
    moved with their boxes: OpenVINO's TopK may list equal scores in another order than Paddle's."""
    if len(outputs) < 3 or len(outputs[2]) != len(outputs[0]):
        return topk_order(outputs)
    boxes = outputs[0]
    tagged = np.concatenate([boxes, np.arange(len(boxes), dtype=boxes.dtype)[:, None]], axis=1)
    order = topk_order([tagged, *outputs[1:2]])[0][:, -1].astype(np.int64)
    return [boxes[order], outputs[1], outputs[2][order], *outputs[3:]]


def _crop(mask: np.ndarray, coordinate) -> np.ndarray:
    """PaddleX's extract_masks_from_boxes: Python-rounded box corners, numpy slicing (clamps at edges)."""
    x1, y1, x2, y2 = (int(round(float(v))) for v in coordinate)
    return mask[y1:y2, x1:x2]


def postprocess(boxes: np.ndarray, masks: np.ndarray, img_size, threshold: float,
                labels: list[str]) -> tuple[list[dict], list[np.ndarray]]:
    """PaddleX's `InstanceSegPostProcess.apply` on one image; img_size is the original [w, h]."""
    keep = (boxes[:, 1] > threshold) & (boxes[:, 0] > -1)
    boxes, masks = boxes[keep], masks[keep]
    found = restructured_boxes(boxes, labels, img_size)
    # PaddleX pairs the i-th kept box with the i-th mask above the threshold, even after dropping an
    # empty box (their indices then drift); kept as is, so results stay PaddleX's.
    return found, [_crop(masks[i], box["coordinate"]) for i, box in enumerate(found)]


def split_masks(masks: np.ndarray, counts: np.ndarray) -> list[np.ndarray]:
    """The [sum(counts), H, W] masks cut per image, like the boxes (`split_batch`)."""
    return split_batch(masks, counts)

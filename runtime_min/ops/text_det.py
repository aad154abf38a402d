"""Text detection pre/post-processing, ported from PaddleX 3.7.2 (text_detection/processors.py).

`DetResize` is `DetResizeForTest` in its limit-side mode (the one OCR pipelines use) and
`DBPostProcess` is PaddleX's class; the detector's `NormalizeImage` + `ToCHWImage` is
ops/normalize.py's `normalize_to_chw`, shared with the other image families. The arithmetic (float32 vs float64 steps, Python `round`,
int casts) follows PaddleX step by step so boxes and scores come out identical; quirks are
kept on purpose and marked "PaddleX quirk".

PaddleOCR's DBPostProcess measures polygons with shapely; PaddleX 3.7.2 already uses
`cv2.contourArea`/`cv2.arcLength`, so nothing here needs shapely.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pyclipper

from hpi.core.specs import DBPostProcessSpec, DetResizeSpec

__all__ = ["DetResize", "DBPostProcess"]


class DetResize:
    """Resize so both sides are multiples of 32 (`DetResizeForTest`, resize_type 0).

    limit_type "max": shrink so the long side is at most `limit_side_len`; "min": enlarge so the
    short side is at least `limit_side_len`; "resize_long": scale the long side to it. The result
    is then clamped so no side exceeds `max_side_limit`, and each side is rounded to a multiple
    of 32 (at least 32).
    """

    def __init__(self, limit_side_len: int = 960, limit_type: str = "max",
                 max_side_limit: int = 4000):
        if limit_type not in ("max", "min", "resize_long"):
            raise ValueError(
                f"limit_type must be 'max', 'min' or 'resize_long', got {limit_type!r}")
        self.limit_side_len = limit_side_len
        self.limit_type = limit_type
        self.max_side_limit = max_side_limit

    @classmethod
    def from_spec(cls, spec: DetResizeSpec) -> "DetResize":
        return cls(spec.limit_side_len, spec.limit_type, spec.max_side_limit)

    def __call__(self, img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (resized image, shape) where shape = float64 [src_h, src_w, ratio_h, ratio_w]."""
        src_h, src_w = img.shape[:2]
        if src_h + src_w < 64:
            # PaddleX quirk: tiny images are zero-padded to at least 32x32 at the bottom/right,
            # but the returned shape keeps the unpadded size, so boxes are scaled to it.
            img = _pad_to_32(img)
        img, ratio_h, ratio_w = self._resize(img)
        return img, np.array([src_h, src_w, ratio_h, ratio_w])

    def _resize(self, img: np.ndarray) -> tuple[np.ndarray, float, float]:
        limit = self.limit_side_len
        h, w = img.shape[:2]
        if self.limit_type == "max":
            ratio = (float(limit) / h if h > w else float(limit) / w) if max(h, w) > limit else 1.0
        elif self.limit_type == "min":
            ratio = (float(limit) / h if h < w else float(limit) / w) if min(h, w) < limit else 1.0
        else:
            ratio = float(limit) / max(h, w)
        resize_h, resize_w = int(h * ratio), int(w * ratio)

        if max(resize_h, resize_w) > self.max_side_limit:
            ratio = float(self.max_side_limit) / max(resize_h, resize_w)
            resize_h, resize_w = int(resize_h * ratio), int(resize_w * ratio)

        # Python round(): halves go to the even multiple (e.g. 48 -> 32, 80 -> 64).
        resize_h = max(int(round(resize_h / 32) * 32), 32)
        resize_w = max(int(round(resize_w / 32) * 32), 32)
        if resize_h == h and resize_w == w:
            return img, 1.0, 1.0
        img = cv2.resize(img, (resize_w, resize_h))
        return img, resize_h / float(h), resize_w / float(w)


def _pad_to_32(img: np.ndarray) -> np.ndarray:
    h, w, c = img.shape
    padded = np.zeros((max(32, h), max(32, w), c), np.uint8)
    padded[:h, :w, :] = img
    return padded


class DBPostProcess:
    """Differentiable Binarization post-processing (PaddleX `DBPostProcess`).

    Call with the model output `preds` [N, 1, H, W] and the shapes from `DetResize`; returns
    (boxes, scores), one entry per image. For box_type "quad" boxes[i] is an int16 array
    [K, 4, 2] (corners clockwise from top-left, in original-image pixels); for "poly" it is a
    list of int64 arrays [P, 2]. scores[i] is a list of Python floats.
    """

    min_size = 3

    def __init__(self, thresh: float = 0.3, box_thresh: float = 0.7, max_candidates: int = 1000,
                 unclip_ratio: float = 2.0, use_dilation: bool = False, score_mode: str = "fast",
                 box_type: str = "quad"):
        if score_mode not in ("slow", "fast"):
            raise ValueError(f"score_mode must be 'slow' or 'fast', got {score_mode!r}")
        if box_type not in ("quad", "poly"):
            raise ValueError(f"box_type must be 'quad' or 'poly', got {box_type!r}")
        self.thresh = thresh
        self.box_thresh = box_thresh
        self.max_candidates = max_candidates
        self.unclip_ratio = unclip_ratio
        self.use_dilation = use_dilation
        self.score_mode = score_mode
        self.box_type = box_type

    @classmethod
    def from_spec(cls, spec: DBPostProcessSpec) -> "DBPostProcess":
        return cls(thresh=spec.thresh, box_thresh=spec.box_thresh, max_candidates=spec.max_candidates,
                   unclip_ratio=spec.unclip_ratio, use_dilation=spec.use_dilation, score_mode=spec.score_mode,
                   box_type=spec.box_type)

    def __call__(self, preds: np.ndarray, img_shapes) -> tuple[list, list]:
        boxes, scores = [], []
        for pred, shape in zip(preds, img_shapes):
            b, s = self._process(pred[0], shape)
            boxes.append(b)
            scores.append(s)
        return boxes, scores

    def _process(self, pred: np.ndarray, shape) -> tuple:
        segmentation = pred > self.thresh
        if self.use_dilation:
            mask = cv2.dilate(segmentation.astype(np.uint8), np.array([[1, 1], [1, 1]]))
        else:
            mask = segmentation
        src_h, src_w = shape[0], shape[1]  # np.float64: the scales below are float64
        bitmap = (mask * 255).astype(np.uint8)
        contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        if self.box_type == "poly":
            return self._polygons(pred, contours, src_w, src_h, bitmap.shape)
        return self._quads(pred, contours, src_w, src_h, bitmap.shape)

    def _quads(self, pred, contours, dest_w, dest_h, map_shape):
        boxes, scores = [], []
        for contour in contours[: self.max_candidates]:
            points, sside = get_mini_boxes(contour)
            if sside < self.min_size:
                continue
            points = np.array(points)
            if self.score_mode == "fast":
                score = box_score_fast(pred, points.reshape(-1, 2))
            else:
                score = box_score_slow(pred, contour)
            if self.box_thresh > score:
                continue
            box, sside = get_mini_boxes(unclip(points, self.unclip_ratio).reshape(-1, 1, 2))
            if sside < self.min_size + 2:
                continue
            box = _scale_clip(np.array(box), dest_w, dest_h, map_shape)
            boxes.append(box.astype(np.int16))
            scores.append(score)
        return np.array(boxes, dtype=np.int16), scores

    def _polygons(self, pred, contours, dest_w, dest_h, map_shape):
        boxes, scores = [], []
        for contour in contours[: self.max_candidates]:
            epsilon = 0.002 * cv2.arcLength(contour, True)
            points = cv2.approxPolyDP(contour, epsilon, True).reshape((-1, 2))
            if points.shape[0] < 4:
                continue
            # PaddleX quirk: polygons are always scored "fast", whatever score_mode says.
            score = box_score_fast(pred, points)
            if self.box_thresh > score:
                continue
            box = unclip(points, self.unclip_ratio)
            # PaddleX quirk: when the offset splits into polygons of different lengths, unclip()
            # keeps the first one, whose point count then trips this "several polygons" test.
            if len(box) > 1:
                continue
            box = box.reshape(-1, 2)
            if len(box) == 0:
                continue
            _, sside = get_mini_boxes(box.reshape((-1, 1, 2)))
            if sside < self.min_size + 2:
                continue
            boxes.append(_scale_clip(np.array(box), dest_w, dest_h, map_shape))
            scores.append(score)
        return boxes, scores


def _scale_clip(box: np.ndarray, dest_w, dest_h, map_shape) -> np.ndarray:
    """Map box points from the probability map to the source image, in place of box's dtype.

    PaddleX does `max(0, min(round(v * scale), dest))` per coordinate with v promoted to
    float64 and Python's round (half to even); np.round matches it for 0 decimals. The result is
    stored back into the box's own dtype (float32 for quads, int64 for polygons).
    """
    height, width = map_shape
    out = box.copy()
    out[:, 0] = np.clip(np.round(box[:, 0].astype(np.float64) * (dest_w / width)), 0, dest_w)
    out[:, 1] = np.clip(np.round(box[:, 1].astype(np.float64) * (dest_h / height)), 0, dest_h)
    return out


def unclip(box: np.ndarray, unclip_ratio: float) -> np.ndarray:
    """Grow the polygon by area * ratio / perimeter with a rounded-join Clipper offset."""
    distance = cv2.contourArea(box) * unclip_ratio / cv2.arcLength(box, True)
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(box, pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    try:
        return np.array(offset.Execute(distance))
    except ValueError:
        # PaddleX quirk: several result polygons of unequal length -> keep only the first.
        return np.array(offset.Execute(distance)[0])


def get_mini_boxes(contour) -> tuple[list, float]:
    """Minimum-area rectangle as 4 float32 points [top-left, top-right, bottom-right,
    bottom-left] (ordered by x, then by y within each pair), and its short side."""
    bounding_box = cv2.minAreaRect(contour)
    points = sorted(list(cv2.boxPoints(bounding_box)), key=lambda p: p[0])  # stable, as PaddleX
    i1, i4 = (0, 1) if points[1][1] > points[0][1] else (1, 0)
    i2, i3 = (2, 3) if points[3][1] > points[2][1] else (3, 2)
    return [points[i1], points[i2], points[i3], points[i4]], min(bounding_box[1])


def box_score_fast(bitmap: np.ndarray, box: np.ndarray) -> float:
    """Mean probability inside the box polygon (box coordinates truncated to int32)."""
    h, w = bitmap.shape[:2]
    box = box.copy()
    xmin = max(0, min(math.floor(box[:, 0].min()), w - 1))
    xmax = max(0, min(math.ceil(box[:, 0].max()), w - 1))
    ymin = max(0, min(math.floor(box[:, 1].min()), h - 1))
    ymax = max(0, min(math.ceil(box[:, 1].max()), h - 1))
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), dtype=np.uint8)
    box[:, 0] = box[:, 0] - xmin
    box[:, 1] = box[:, 1] - ymin
    cv2.fillPoly(mask, box.reshape(1, -1, 2).astype(np.int32), 1)
    return cv2.mean(bitmap[ymin : ymax + 1, xmin : xmax + 1], mask)[0]


def box_score_slow(bitmap: np.ndarray, contour: np.ndarray) -> float:
    """Mean probability inside the contour itself."""
    h, w = bitmap.shape[:2]
    contour = np.reshape(contour.copy(), (-1, 2))
    xmin = np.clip(np.min(contour[:, 0]), 0, w - 1)
    xmax = np.clip(np.max(contour[:, 0]), 0, w - 1)
    ymin = np.clip(np.min(contour[:, 1]), 0, h - 1)
    ymax = np.clip(np.max(contour[:, 1]), 0, h - 1)
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), dtype=np.uint8)
    contour[:, 0] = contour[:, 0] - xmin
    contour[:, 1] = contour[:, 1] - ymin
    cv2.fillPoly(mask, contour.reshape(1, -1, 2).astype(np.int32), 1)
    return cv2.mean(bitmap[ymin : ymax + 1, xmin : xmax + 1], mask)[0]

"""Semantic segmentation pre/post-processing, ported from PaddleX 3.7.2 (semantic_segmentation/).

PaddleX's SegPredictor reads the image as RGB and always runs, in this order: `Resize` (the
segmentation module's own: keep_ratio, size_divisor, or no resize at all when inference.yml's
Deploy.transforms has none, which is what PP-LiteSeg ships), `Normalize` (scale 1/255, mean, std),
`ToCHWImage`, then the model, whose export ends in argmax: an int32 label map [N, H, W]. Its
`SegPostProcess` resizes that map back to the source image size with nearest-neighbour.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from hpi.core.specs import SegmentationSpec
from hpi.runtime_min.ops.classification import INTERPOLATIONS
from hpi.runtime_min.ops.normalize import normalize

__all__ = ["seg_resize", "preprocess", "restore_size", "pseudo_color"]


def seg_resize(img: np.ndarray, target_size, keep_ratio: bool = True, size_divisor: int | None = 32,
               interpolation: str = "LINEAR") -> np.ndarray:
    """The segmentation `Resize`: `target_size` = [w, h]; [-1, -1] keeps the image as it is.

    With keep_ratio PaddleX scales by min(max(target)/max(image), min(target)/min(image)) and
    Python-rounds both sides; size_divisor then rounds each side up to a multiple.
    """
    if list(target_size) == [-1, -1]:
        return img
    h, w = img.shape[:2]
    size = list(target_size)
    if keep_ratio:
        scale = min(max(size) / max(w, h), min(size) / min(w, h))
        size = [round(w * scale), round(h * scale)]
    if size_divisor:
        size = [math.ceil(v / size_divisor) * size_divisor for v in size]
    if size == [w, h]:
        return img  # PaddleX skips cv2.resize at the same size
    return cv2.resize(img, tuple(size), interpolation=INTERPOLATIONS[interpolation.upper()])


def preprocess(rgb: np.ndarray, spec: SegmentationSpec) -> np.ndarray:
    """One RGB image → the model's float32 CHW input: the spec's Resize, then its Normalize."""
    r = spec.resize
    return normalize(seg_resize(rgb, r.target_size, r.keep_ratio, r.size_divisor, r.interpolation), spec.normalize)


def restore_size(label_map: np.ndarray, width: int, height: int) -> np.ndarray:
    """`SegPostProcess`: one image's [1, h, w] label map → [1, height, width], nearest-neighbour."""
    if label_map.ndim != 3:
        raise ValueError(f"the segmentation model gave a {label_map.ndim}-d output; PaddleX's SegPredictor "
                         f"needs an argmax label map [1, H, W]")
    if label_map.dtype == np.int64:
        # cv2.resize has no 64-bit integers; class ids fit int32 (PaddleSeg exports int32 anyway).
        label_map = label_map.astype(np.int32)
    return cv2.resize(label_map[0], (width, height), interpolation=cv2.INTER_NEAREST)[None]


def _color_map() -> np.ndarray:
    """PaddleX's `_get_color_map_list(256)`: class i's RGB from the bits of i (PASCAL VOC palette)."""
    colors = np.zeros((257, 3), np.uint8)
    for i in range(257):
        lab, j = i, 0
        while lab:
            for c in range(3):
                colors[i, c] |= ((lab >> c) & 1) << (7 - j)
            j += 1
            lab >>= 3
    return colors[1:]  # PaddleX drops the first entry: class 0 is drawn in VOC's colour 1


PALETTE_RGB = _color_map()


def pseudo_color(label_map: np.ndarray) -> np.ndarray:
    """PaddleX's `get_pseudo_color_map` as a BGR picture: one colour per class id (0-255)."""
    if label_map.min(initial=0) < 0 or label_map.max(initial=0) > 255:
        raise ValueError("`pred` cannot be cast to uint8.")
    return PALETTE_RGB[label_map.astype(np.uint8)][..., ::-1]

"""Image classification pre/post-processing, ported from PaddleX 3.7.2 (image_classification/).

PaddleX's ClasPredictor reads the image as RGB, then runs the inference.yml ops in this order:
`ResizeImage` (`ResizeByShort` when it has `resize_short`, else a plain `Resize` to `size`),
`CropImage` (center crop), `NormalizeImage`, `ToCHWImage`, and on the model output (softmax
probabilities) `Topk`. The arithmetic follows PaddleX step by step (Python `round` for the resized
sides, floor division for the crop offset, float32 normalisation, numpy's own argsort and 5-decimal
rounding), so the same image gives the same tensor and the same top-k.
"""

from __future__ import annotations

import cv2
import numpy as np

from hpi.core.specs import ClasPreprocessSpec
from hpi.runtime_min.ops.normalize import normalize

__all__ = ["INTERPOLATIONS", "resize_short", "resize_to", "center_crop", "preprocess", "topk"]

# PaddleX's _CV2_INTERP_DICT: inference.yml names (upper-cased) → OpenCV flags.
INTERPOLATIONS = {
    "NEAREST": cv2.INTER_NEAREST,
    "LINEAR": cv2.INTER_LINEAR,
    "BICUBIC": cv2.INTER_CUBIC,
    "AREA": cv2.INTER_AREA,
    "LANCZOS4": cv2.INTER_LANCZOS4,
}


def _resize(img: np.ndarray, w: int, h: int, interpolation: str) -> np.ndarray:
    if (w, h) == (img.shape[1], img.shape[0]):
        return img  # PaddleX skips cv2.resize at the same size (which would still copy)
    return cv2.resize(img, (w, h), interpolation=INTERPOLATIONS[interpolation.upper()])


def resize_short(img: np.ndarray, short: int, interpolation: str = "LINEAR") -> np.ndarray:
    """`ResizeByShort`: scale so the short side is `short`, keeping the aspect ratio.

    Both sides are Python-rounded (half to even) from the float64 product, as PaddleX does; the short
    side therefore lands exactly on `short`.
    """
    h, w = img.shape[:2]
    scale = short / min(h, w)
    return _resize(img, round(w * scale), round(h * scale), interpolation)


def resize_to(img: np.ndarray, size, interpolation: str = "LINEAR") -> np.ndarray:
    """`Resize(keep_ratio=False)`: to `size` = int (square) or [width, height]."""
    w, h = (size, size) if isinstance(size, int) else size
    return _resize(img, int(w), int(h), interpolation)


def center_crop(img: np.ndarray, size) -> np.ndarray:
    """`Crop(mode="C")`: `size` = int (square) or [width, height]; refuses images smaller than it."""
    cw, ch = (size, size) if isinstance(size, int) else size
    h, w = img.shape[:2]
    if w < cw or h < ch:
        raise ValueError(f"Input image ({w}, {h}) smaller than the target size ({cw}, {ch}).")
    x1, y1 = max(0, (w - cw) // 2), max(0, (h - ch) // 2)
    return img[y1 : min(h, y1 + ch), x1 : min(w, x1 + cw)]


def preprocess(rgb: np.ndarray, spec: ClasPreprocessSpec) -> np.ndarray:
    """One RGB image → the model's float32 CHW input, following the spec's steps: resize (by the short
    side or to a size), the center crop when the spec has one, normalize."""
    resize = spec.resize
    if resize.resize_short is not None:
        img = resize_short(rgb, resize.resize_short, resize.interpolation)
    else:
        img = resize_to(rgb, resize.size, resize.interpolation)
    if spec.crop:
        img = center_crop(img, spec.crop.size)
    return normalize(img, spec.normalize)


def topk(probs: np.ndarray, k: int, labels: list[str] | None = None):
    """PaddleX's `Topk` on a [N, classes] output: (class ids int32 [N, k], scores, label names).

    Scores are the float32 probabilities rounded to 5 decimals by np.around; ids come from numpy's
    default argsort (not stable), reversed, exactly as PaddleX takes them, so equal scores are
    ordered the same way. Without a label list the names are the ids as strings.
    """
    indexes = probs.argsort(axis=1)[:, -k:][:, ::-1].astype("int32")
    scores = [np.around(p[i], decimals=5) for p, i in zip(probs, indexes)]
    names = [[labels[int(i)] if labels is not None and int(i) < len(labels) else str(int(i)) for i in row]
             for row in indexes]
    return indexes, scores, names

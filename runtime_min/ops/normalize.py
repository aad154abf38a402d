"""`NormalizeImage(order="hwc")` + `ToCHWImage`, ported from PaddleX 3.7.2: the image normalisation
every image family shares (text detection, classification and its relatives, detection, segmentation).
"""

from __future__ import annotations

import numpy as np

from hpi.core.specs import NormalizeSpec

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "parse_scale", "normalize_to_chw", "normalize"]

# The ImageNet constants PaddleX's NormalizeImage defaults to.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def parse_scale(scale: float | str) -> float:
    """inference.yml writes the scale as a string such as "1./255."; PaddleX eval()s it."""
    if isinstance(scale, str):
        num, _, den = scale.partition("/")
        return float(num) / float(den) if den else float(num)
    return float(scale)


def normalize_to_chw(img: np.ndarray, mean=IMAGENET_MEAN, std=IMAGENET_STD,
                     scale: float | str = 1.0 / 255.0) -> np.ndarray:
    """`NormalizeImage(order="hwc")` + `ToCHWImage`: float32 CHW, C-contiguous.

    The constants are applied to the channels in the order the image has them. PP-OCR models
    read BGR, so the ImageNet "R" mean 0.485 goes to the blue channel; that is how they were
    trained. Per channel PaddleX computes `x.astype(float32) * alpha + beta` in float32 with
    alpha = scale / std and beta = -mean / std computed in float64 first.
    """
    if img.shape[2] == 4:
        img = img[:, :, :3]  # COLOR_RGBA2RGB just drops the fourth channel
    scale = parse_scale(scale)
    alpha = np.array([scale / s for s in std], dtype=np.float32)
    beta = np.array([-m / s for m, s in zip(mean, std)], dtype=np.float32)
    out = img.astype(np.float32)
    out *= alpha
    out += beta
    return np.ascontiguousarray(out.transpose(2, 0, 1))


def normalize(img: np.ndarray, spec: NormalizeSpec) -> np.ndarray:
    """`normalize_to_chw` with a spec's NormalizeImage constants."""
    return normalize_to_chw(img, spec.mean, spec.std, spec.scale)

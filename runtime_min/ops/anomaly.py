"""Image anomaly detection post-processing, ported from PaddleX 3.7.2 (anomaly_detection/, `MapToMask`).

PaddleX's UadPredictor reads the image as RGB, runs `Resize` (target_size required; keep_ratio and
size_divisor as in segmentation, off by default) and `Normalize` (ops/segmentation.py), the model
gives an anomaly map [N, 1, H, W], and `MapToMask` makes the mask at the model's input size (PaddleX
does not resize it back to the image): 255 where the map is above a fixed 0.01, else 0, then a
grey-level opening with a disk of radius 4 (scikit-image's `morphology.opening`).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["ANOMALY_THRESHOLD", "DISK_4", "map_to_mask"]

ANOMALY_THRESHOLD = 0.01  # hard-coded in PaddleX's MapToMask

# skimage.morphology.disk(4): the 9x9 pixels with x^2 + y^2 <= 16 (not OpenCV's MORPH_ELLIPSE, which
# differs at the rim).
_R = np.arange(-4, 5)
DISK_4 = (np.add.outer(_R**2, _R**2) <= 16).astype(np.uint8)


def map_to_mask(anomaly_map: np.ndarray) -> np.ndarray:
    """One image's anomaly map [1, H, W] (or [1, 1, H, W]) → uint8 mask [1, H, W] of 0 and 255.

    scikit-image erodes then dilates with the symmetric disk and mirrors the image at its borders;
    for a symmetric convex footprint a mirrored pixel is never beyond the pixels the footprint already
    covers, so OpenCV's default border (out-of-image pixels ignored) gives the same result.
    """
    score = anomaly_map.reshape(anomaly_map.shape[-2:]).astype(np.float32)
    mask = np.where(score > ANOMALY_THRESHOLD, np.float32(255), np.float32(0))
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, DISK_4).astype(np.uint8)[None]

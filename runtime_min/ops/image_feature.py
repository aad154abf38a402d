"""Image feature (embedding) post-processing, ported from PaddleX 3.7.2 (image_feature/processors.py).

Pre-processing is image classification's (`ops/classification.preprocess`) without the crop: PaddleX's
ImageFeaturePredictor runs `ResizeImage`, `NormalizeImage` and `ToCHWImage` on the RGB image.
"""

from __future__ import annotations

import numpy as np

__all__ = ["normalize_features"]


def normalize_features(preds: np.ndarray) -> np.ndarray:
    """PaddleX's `NormalizeFeatures` on the model's first output [N, D]: each row divided by its L2 norm.

    Same numpy calls in the same dtype as PaddleX (float32 in, float32 out; no rounding, no
    binarisation), so the JSON carries the same numbers up to the backends' own float noise.
    """
    norm = np.sqrt(np.sum(np.square(preds), axis=1, keepdims=True))
    return np.divide(preds, norm)

"""Multi-label image classification post-processing, ported from PaddleX 3.7.2
(image_multilabel_classification/processors.py, `MultiLabelThreshOutput`).

Pre-processing is image classification's (ops/classification.py) less the crop: PaddleX's
MLClasPredictor runs Resize, Normalize, ToCHW and never the CropImage op even when inference.yml
lists one. The model ends in sigmoid; every class scoring above the threshold is kept, best first.
"""

from __future__ import annotations

import numpy as np

__all__ = ["class_thresholds", "multilabel_thresh"]


def class_thresholds(threshold, num_classes: int) -> list[float]:
    """PaddleX's threshold forms → one threshold per class: a float for all, a dict with "default" and
    per-class overrides (int or digit-string keys), or a list of one per class. Raises ValueError."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, dict, list)):
        raise ValueError(f"threshold must be a float, a dict or a list, got {threshold!r}")
    if isinstance(threshold, (int, float)):
        return [float(threshold)] * num_classes
    if isinstance(threshold, list):
        if len(threshold) != num_classes:
            raise ValueError(f"threshold has {len(threshold)} values for {num_classes} classes")
        return [float(v) for v in threshold]
    if threshold.get("default") is None:
        raise ValueError("a threshold dict needs the default threshold under the key 'default'")
    values = [float(threshold["default"])] * num_classes
    for key, value in threshold.items():
        if key == "default":
            continue
        if not (isinstance(key, int) or str(key).isdigit()) or int(key) >= num_classes:
            raise ValueError(f"threshold key {key!r} must be a class id below {num_classes}")
        values[int(key)] = float(value)
    return values


def multilabel_thresh(probs: np.ndarray, thresholds: list[float], labels: list[str]):
    """PaddleX's `MultiLabelThreshOutput` on a [N, classes] output: per image (class ids, scores, names).

    Bug-compatible with PaddleX: it zips the batch's rows with the per-class threshold list, so image i
    of a batch is cut at class i's threshold for every class; PaddleX predicts one image per batch, so
    thresholds[0] (the default, unless class 0 has its own) applies to all classes. Ids are ordered by
    numpy's default argsort of the negated scores; scores are float64 rounded to 5 decimals.
    """
    results = []
    for row, threshold in zip(probs, thresholds):
        kept = row > threshold
        ids = np.where(kept)[0][np.argsort(-row[kept])]
        scores = np.around(row[ids].astype(float), decimals=5)
        results.append((ids, scores, [labels[i] for i in ids]))
    return results

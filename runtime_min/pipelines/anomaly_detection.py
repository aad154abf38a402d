"""Bundles of one image anomaly detection model, in PaddleX's `UadResult` form."""

from __future__ import annotations

import cv2
import numpy as np

from hpi.runtime_min.ops.anomaly import map_to_mask
from hpi.runtime_min.ops.segmentation import preprocess
from hpi.runtime_min.pipelines.segmentation import SemanticSegmentationRunner


class AnomalyDetectionRunner(SemanticSegmentationRunner):
    """PaddleX's UadPredictor: `pred`, the [1, H, W] mask (0 or 255) at the model's input size. The
    picture is segmentation's: the mask in PaddleX's palette (0 and 255 are two palette colours)."""

    def predict_one(self, image: np.ndarray) -> dict:
        # PaddleX reads anomaly detection inputs as RGB (ReadImage(format="RGB")); ours arrive BGR.
        x = preprocess(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), self.spec)[None]
        return {"pred": map_to_mask(self.model(x)[0])}


def build(name: str, models: dict, params: dict):
    return AnomalyDetectionRunner.from_models(models)

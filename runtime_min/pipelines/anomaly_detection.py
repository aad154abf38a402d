"""Bundles of one image anomaly detection model, in PaddleX's `UadResult` form."""

from __future__ import annotations

import cv2
import numpy as np

from ..ops.anomaly import map_to_mask
from ..ops.segmentation import preprocess, pseudo_color
from ..result import plain


class AnomalyDetection:
    """PaddleX's UadPredictor: `pred`, the [1, H, W] mask (0 or 255) at the model's input size."""

    def __init__(self, model, spec: dict):
        self.model, self.spec = model, spec

    def predict_one(self, image: np.ndarray) -> dict:
        # PaddleX reads anomaly detection inputs as RGB (ReadImage(format="RGB")); ours arrive BGR.
        x = preprocess(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), self.spec)[None]
        return {"pred": map_to_mask(self.model(x)[0])}

    def to_json(self, data: dict, input_path=None) -> dict:
        return {"input_path": input_path, "page_index": None, **plain(data)}

    def save_visualization(self, data: dict, image: np.ndarray, path) -> None:
        """The mask in PaddleX's palette (as its `_to_img`: 0 and 255 are two palette colours)."""
        if not cv2.imwrite(str(path), pseudo_color(data["pred"][0])):
            raise OSError(f"cannot write {path}")


def build(name: str, models: dict, params: dict):
    model = models["model"]
    return AnomalyDetection(model, model.entry["spec"])

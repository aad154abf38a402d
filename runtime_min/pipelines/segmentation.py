"""Bundles of one semantic segmentation model, in PaddleX's `SegResult` form."""

from __future__ import annotations

import cv2
import numpy as np

from hpi.runtime_min.ops.segmentation import preprocess, pseudo_color, restore_size
from hpi.runtime_min.pipelines.base import SingleModelRunner


class SemanticSegmentationRunner(SingleModelRunner):
    """PaddleX's SegPredictor: `pred`, the [1, H, W] class id map at the source image's size."""

    def predict_one(self, image: np.ndarray) -> dict:
        # PaddleX reads segmentation inputs as RGB (ReadImage(format="RGB")); ours arrive BGR.
        x = preprocess(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), self.spec)[None]
        return {"pred": restore_size(self.model(x), image.shape[1], image.shape[0])}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        """The colour-coded mask alone, in PaddleX's palette, as its `_to_img` draws it."""
        if not cv2.imwrite(str(path), pseudo_color(data["pred"][0])):
            raise OSError(f"cannot write {path}")


def build(name: str, models: dict, params: dict):
    return SemanticSegmentationRunner.from_models(models)

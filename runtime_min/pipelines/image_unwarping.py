"""Bundles of one document unwarping model (UVDoc), in PaddleX's `DocTrResult` form."""

from __future__ import annotations

import cv2
import numpy as np

from hpi.runtime_min.ops.unwarping import doctr_postprocess, preprocess
from hpi.runtime_min.pipelines.base import SingleModelRunner


class ImageUnwarpingRunner(SingleModelRunner):
    """PaddleX's WarpRunnerPredictor: `doctr_img`, the unwarped image, uint8 HWC with the channels
    reversed from the input's (PaddleX's DocTrPostProcess; BGR in, RGB out)."""

    def predict_one(self, image: np.ndarray) -> dict:
        return {"doctr_img": doctr_postprocess(self.model(preprocess(image, self.spec)), self.spec.postprocess)}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        """The unwarped image, as PaddleX's `_to_img` saves it (Pillow reads `doctr_img` as RGB)."""
        if not cv2.imwrite(str(path), np.ascontiguousarray(np.asarray(data["doctr_img"])[:, :, ::-1])):
            raise OSError(f"cannot write {path}")


def build(name: str, models: dict, params: dict):
    return ImageUnwarpingRunner.from_models(models)

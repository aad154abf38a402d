"""Bundles of one image feature (embedding) model, in PaddleX's `IdentityResult` form."""

from __future__ import annotations

import cv2
import numpy as np

from hpi.core.errors import UsageError
from hpi.runtime_min.ops.classification import preprocess
from hpi.runtime_min.ops.image_feature import normalize_features
from hpi.runtime_min.pipelines.base import SingleModelRunner


class ImageFeatureRunner(SingleModelRunner):
    """PaddleX's ImageFeaturePredictor (and FaceFeaturePredictor, flip off): `feature`, the
    L2-normalised embedding."""

    def predict_one(self, image: np.ndarray) -> dict:
        # PaddleX reads image feature inputs as RGB (ReadImage(format="RGB")); ours arrive BGR.
        x = preprocess(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), self.spec)[None]
        # PaddleX quirk kept: the batch splitter only splits lists and the features are one [batch, D]
        # array, so each result's `feature` is the whole batch's, [[...]] for its default batch of one.
        return {"feature": normalize_features(self.model(x))}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        # PaddleX's IdentityResult has no image form (no `img`, no `save_to_img`): an embedding is a
        # vector to index, and PaddleX draws it nowhere. Say so instead of inventing a picture.
        raise UsageError("image feature results have no visualisation (PaddleX's IdentityResult has "
                          "none); use --output for the JSON embedding")


def build(name: str, models: dict, params: dict):
    return ImageFeatureRunner.from_models(models)

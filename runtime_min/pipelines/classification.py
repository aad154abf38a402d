"""Bundles of one image classification model, in PaddleX's `TopkResult` form."""

from __future__ import annotations

import copy

import cv2
import numpy as np

from hpi.core.errors import UsageError
from hpi.core.specs import ImageClassificationSpec
from hpi.runtime_min.ops.classification import preprocess, topk
from hpi.runtime_min.pipelines.base import SingleModelRunner

# PaddleX's colormap entry 0 (RGB 255, 0, 0) for the label box, white text (its light font colour).
_BOX_BGR, _TEXT_BGR = (0, 0, 255), (255, 255, 255)


class ImageClassificationRunner(SingleModelRunner):
    """PaddleX's ClasPredictor: `class_ids`, `scores`, `label_names` of the top-k classes."""

    def __init__(self, model, spec: ImageClassificationSpec):
        super().__init__(model, spec)
        self.k, self.labels = int(spec.postprocess.topk), spec.postprocess.label_list

    def with_params(self, topk=None, **unknown) -> "ImageClassificationRunner":
        """PaddleX's per-call `topk` (None: the model's)."""
        if unknown:
            raise UsageError(f"unknown predict parameter(s) {', '.join(sorted(unknown))} for image classification; "
                             "accepted (PaddleX's name): topk")
        twin = copy.copy(self)
        if topk is not None:
            if isinstance(topk, bool) or not isinstance(topk, int) or topk < 1:
                raise UsageError(f"topk must be a positive integer, got {topk!r}")
            twin.k = topk
        return twin

    def predict_one(self, image: np.ndarray) -> dict:
        # PaddleX reads classification inputs as RGB (ReadImage(format="RGB")); ours arrive BGR.
        x = preprocess(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), self.spec)[None]
        ids, scores, names = topk(self.model(x), self.k, self.labels)
        # PaddleX quirk: its batch splitter only splits lists, and the ids are one [batch, k] array,
        # so every result carries the whole batch's ids: [[...]] for PaddleX's default batch of one.
        return {"class_ids": ids, "scores": scores[0], "label_names": names[0]}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        """The top label and score in a filled box at the top left, like PaddleX's `_to_img`."""
        canvas = image.copy()
        label = f"{data['label_names'][0]} {float(data['scores'][0]):.2f}".encode("ascii", "replace").decode()
        # PaddleX sizes its font to 2-5 % of the image width; Hershey scale 1.0 is ~22 px high.
        scale = max(0.4, canvas.shape[1] * 0.04 / 22)
        thickness = max(1, int(round(scale * 2)))
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        cv2.rectangle(canvas, (3, 3), (3 + tw + 6, 3 + th + base + 6), _BOX_BGR, -1)
        cv2.putText(canvas, label, (6, 6 + th), cv2.FONT_HERSHEY_SIMPLEX, scale, _TEXT_BGR, thickness)
        if not cv2.imwrite(str(path), canvas):
            raise OSError(f"cannot write {path}")


def build(name: str, models: dict, params: dict):
    return ImageClassificationRunner.from_models(models)

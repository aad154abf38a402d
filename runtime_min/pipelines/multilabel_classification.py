"""Bundles of one multi-label image classification model, in PaddleX's `MLClassResult` form."""

from __future__ import annotations

import cv2
import numpy as np

from hpi.core.errors import BundleError
from hpi.core.specs import MultiLabelClassificationSpec
from hpi.runtime_min.ops.classification import preprocess
from hpi.runtime_min.ops.multilabel import multilabel_thresh
from hpi.runtime_min.pipelines.base import SingleModelRunner

# PaddleX's colormap entry 0 (RGB 255, 0, 0) for the label band, white text (its light font colour).
_BAND_BGR, _TEXT_BGR = (0, 0, 255), (255, 255, 255)


class MultiLabelClassificationRunner(SingleModelRunner):
    """PaddleX's MLClasPredictor: `class_ids`, `scores`, `label_names` of every class over the threshold."""

    def __init__(self, model, spec: MultiLabelClassificationSpec):
        super().__init__(model, spec)
        self.thresholds, self.labels = spec.postprocess.thresholds, spec.postprocess.label_list

    def predict_one(self, image: np.ndarray) -> dict:
        # PaddleX reads classification inputs as RGB (ReadImage(format="RGB")); ours arrive BGR.
        probs = self.model(preprocess(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), self.spec)[None])
        if probs.ndim != 2 or probs.shape[1] != len(self.labels):
            raise BundleError(f"the multi-label model gave scores of shape {list(probs.shape)} for "
                              f"{len(self.labels)} labels")
        (ids, scores, names), = multilabel_thresh(probs, self.thresholds, self.labels)
        return {"class_ids": ids, "scores": scores, "label_names": names}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        """The image over a band listing `label(score)` of every kept class, like PaddleX's `_to_img`."""
        width = image.shape[1]
        # PaddleX's font is 6 % of the image width; Hershey scale 1.0 is ~22 px high.
        scale = max(0.4, width * 0.06 / 22)
        thickness = max(1, int(round(scale * 2)))
        lines, line = [], ""
        for name, score in zip(data["label_names"], data["scores"]):
            text = f"{name}({float(score)}) ".encode("ascii", "replace").decode()
            if line and cv2.getTextSize(line + text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)[0][0] > width:
                lines.append(line)
                line = ""
            line += text
        lines.append(line)
        (_, th), base = cv2.getTextSize("Ag", cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        step = int((th + base) * 1.2)
        band = np.full((step * len(lines), width, 3), _BAND_BGR, np.uint8)
        for i, text in enumerate(lines):
            cv2.putText(band, text, (0, i * step + th), cv2.FONT_HERSHEY_SIMPLEX, scale, _TEXT_BGR, thickness)
        if not cv2.imwrite(str(path), np.vstack([image, band])):
            raise OSError(f"cannot write {path}")


def build(name: str, models: dict, params: dict):
    return MultiLabelClassificationRunner.from_models(models)

"""Bundles of one model: text detection or text recognition alone, in PaddleX's module result form."""

from __future__ import annotations

import cv2
import numpy as np

from ..ops.text_det import DBPostProcess, DetResize, normalize_to_chw
from ..ops.text_rec import CTCLabelDecode, rec_resize_norm
from .base import SingleModelRunner


def _to_mode(img: np.ndarray, mode: str) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if mode == "RGB" else img


class TextDetection(SingleModelRunner):
    """PaddleX's TextDetPredictor: `dt_polys` (int quads) and `dt_scores`."""

    def __init__(self, model, spec: dict):
        super().__init__(model, spec)
        self.resize = DetResize(**spec["resize"])
        post = {k: v for k, v in spec["postprocess"].items() if k != "name"}
        self.postprocess = DBPostProcess(**post)

    def predict_one(self, image: np.ndarray) -> dict:
        resized, shape = self.resize(_to_mode(image, self.spec["img_mode"]))
        x = normalize_to_chw(resized, **self.spec["normalize"])[None]
        boxes, scores = self.postprocess(self.model(x), [shape])
        return {"dt_polys": boxes[0], "dt_scores": scores[0]}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        canvas = image.copy()
        for box in data["dt_polys"]:
            cv2.polylines(canvas, [np.asarray(box, np.int64).reshape(-1, 1, 2)], True, (0, 0, 255), 2)
        if not cv2.imwrite(str(path), canvas):
            raise OSError(f"cannot write {path}")


class TextRecognition(SingleModelRunner):
    """PaddleX's TextRecPredictor on a whole text-line image: `rec_text` and `rec_score`."""

    def __init__(self, model, spec: dict):
        super().__init__(model, spec)
        self.decode = CTCLabelDecode(spec["postprocess"]["character_list"])

    def predict_one(self, image: np.ndarray) -> dict:
        x = rec_resize_norm(_to_mode(image, self.spec["img_mode"]), self.spec["rec_image_shape"])[None]
        texts, scores = self.decode(self.model(x))
        return {"rec_text": texts[0], "rec_score": scores[0]}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        canvas = cv2.copyMakeBorder(image, 0, 40, 0, 0, cv2.BORDER_CONSTANT, value=(255, 255, 255))
        label = f"{data['rec_text']} ({data['rec_score']:.3f})".encode("ascii", "replace").decode()
        cv2.putText(canvas, label, (4, canvas.shape[0] - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2)
        if not cv2.imwrite(str(path), canvas):
            raise OSError(f"cannot write {path}")


_RUNNERS = {"text_detection": TextDetection, "text_recognition": TextRecognition}


def build(name: str, models: dict, params: dict):
    return _RUNNERS[name].from_models(models)

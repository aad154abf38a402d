"""Bundles of one model: text detection or text recognition alone, in PaddleX's module result form."""

from __future__ import annotations

import cv2
import numpy as np

from hpi.core.specs import TextDetectionSpec, TextRecognitionSpec
from hpi.runtime_min.ops.normalize import normalize
from hpi.runtime_min.ops.text_det import DBPostProcess, DetResize
from hpi.runtime_min.ops.text_rec import CTCLabelDecode, rec_resize_norm
from hpi.runtime_min.pipelines.base import SingleModelRunner


def _to_mode(img: np.ndarray, mode: str) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if mode == "RGB" else img


class TextDetectionRunner(SingleModelRunner):
    """PaddleX's TextDetPredictor: `dt_polys` (int quads) and `dt_scores`."""

    def __init__(self, model, spec: TextDetectionSpec):
        super().__init__(model, spec)
        self.resize = DetResize.from_spec(spec.resize)
        self.postprocess = DBPostProcess.from_spec(spec.postprocess)

    def predict_one(self, image: np.ndarray) -> dict:
        resized, shape = self.resize(_to_mode(image, self.spec.img_mode))
        x = normalize(resized, self.spec.normalize)[None]
        boxes, scores = self.postprocess(self.model(x), [shape])
        return {"dt_polys": boxes[0], "dt_scores": scores[0]}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        canvas = image.copy()
        for box in data["dt_polys"]:
            cv2.polylines(canvas, [np.asarray(box, np.int64).reshape(-1, 1, 2)], True, (0, 0, 255), 2)
        if not cv2.imwrite(str(path), canvas):
            raise OSError(f"cannot write {path}")


class TextRecognitionRunner(SingleModelRunner):
    """PaddleX's TextRecPredictor on a whole text-line image: `rec_text` and `rec_score`."""

    def __init__(self, model, spec: TextRecognitionSpec):
        super().__init__(model, spec)
        self.decode = CTCLabelDecode(spec.postprocess.character_list, display_order=spec.postprocess.display_order)

    def predict_one(self, image: np.ndarray) -> dict:
        x = rec_resize_norm(_to_mode(image, self.spec.img_mode), self.spec.rec_image_shape)[None]
        texts, scores = self.decode(self.model(x))
        return {"rec_text": self.decode.for_display(texts[0]), "rec_score": scores[0]}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        """The image over a white row with `text (score)`, like PaddleX's TextRecResult._to_img: the font
        sized to 6 % of the image width, smaller until the label fits. Without a font that has the text's
        glyphs the row stays empty (the chooser says so once)."""
        from hpi.runtime_min.pipelines.fonts import default_chooser

        label = f"{data['rec_text']} ({data['rec_score']})"
        face = (fonts or default_chooser()).font_for(label)
        width = image.shape[1]
        size = max(int(width * 0.06), 1)
        while face is not None and size > 1 and face.at(size).getbbox(label)[2] > width:
            size -= 1
        row = int((face.at(size).getbbox(label)[3] if face is not None else size) * 1.2)
        canvas = cv2.copyMakeBorder(image, 0, max(row, 1), 0, 0, cv2.BORDER_CONSTANT, value=(255, 255, 255))
        if face is not None:
            from PIL import Image, ImageDraw

            picture = Image.fromarray(cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB))
            ImageDraw.Draw(picture).text((0, image.shape[0]), label, fill=(0, 0, 0), font=face.at(size))
            canvas = cv2.cvtColor(np.asarray(picture), cv2.COLOR_RGB2BGR)
        if not cv2.imwrite(str(path), canvas):
            raise OSError(f"cannot write {path}")


_RUNNERS = {"text_detection": TextDetectionRunner, "text_recognition": TextRecognitionRunner}


def build(name: str, models: dict, params: dict):
    return _RUNNERS[name].from_models(models)

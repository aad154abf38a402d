"""PaddleX's pedestrian_attribute_recognition and vehicle_attribute_recognition pipelines: detect, crop, classify.

Per image (pipelines/attribute_recognition/pipeline.py): the detector's boxes above `det_threshold`; each box cut
from the image as CropByBoxes does (coordinates truncated to int); the multi-label classifier on each crop with
`cls_threshold`, the crops grouped in batches of the classifier's batch size as PaddleX's predictor does (the
batch position picks the threshold, ops/multilabel.py). The result is PaddleX's AttributeRecResult: per box its
attribute `labels`, their `cls_scores`, the detector's `det_score` and `coordinate`; its picture draws each box in
the colour of its index with the attributes one per line (draw_attribute_result).
"""

from __future__ import annotations

import copy

import cv2
import numpy as np

from hpi.core.errors import BundleError, UsageError
from hpi.runtime_min.ops.classification import preprocess as clas_preprocess
from hpi.runtime_min.ops.multilabel import class_thresholds, multilabel_thresh
from hpi.runtime_min.pipelines.detection import DetectionRunner
from hpi.runtime_min.result import plain

# PaddleX's get_colormap(rgb=True): the colour of box i is entry i % 20.
COLORMAP = [(255, 0, 0), (204, 255, 0), (0, 255, 102), (0, 102, 255), (204, 0, 255), (255, 77, 0), (128, 255, 0),
            (0, 255, 178), (0, 26, 255), (255, 0, 229), (255, 153, 0), (51, 255, 0), (0, 255, 255), (51, 0, 255),
            (255, 0, 153), (255, 229, 0), (0, 255, 26), (0, 178, 255), (128, 0, 255), (255, 0, 77)]


class AttributeRecognitionRunner:
    def __init__(self, det: DetectionRunner, cls_model, cls_spec, det_threshold, cls_threshold, cls_batch_size: int):
        self.det, self.cls_model, self.cls_spec = det, cls_model, cls_spec
        self.labels = cls_spec.postprocess.label_list
        self.det_threshold, self.cls_threshold, self.cls_batch_size = det_threshold, cls_threshold, cls_batch_size

    def with_params(self, det_threshold=None, cls_threshold=None, **unknown) -> "AttributeRecognitionRunner":
        """PaddleX's per-call `det_threshold` (a number or {class id: number}) and `cls_threshold` (a float, a
        {"default": float, class id: float} map or a list of one per class); None keeps the bundle's."""
        if unknown:
            raise UsageError(f"unknown predict parameter(s) {', '.join(sorted(unknown))} for attribute recognition; "
                             "accepted (PaddleX's names): det_threshold, cls_threshold")
        twin = copy.copy(self)
        if det_threshold is not None:
            twin.det = self.det.with_params(threshold=det_threshold)
            twin.det_threshold = det_threshold
        if cls_threshold is not None:
            try:
                class_thresholds(cls_threshold, len(self.labels))
            except ValueError as exc:
                raise UsageError(f"cls_threshold: {exc}") from None
            twin.cls_threshold = cls_threshold
        return twin

    def _classify(self, crop: np.ndarray, position: int) -> tuple[list[str], np.ndarray]:
        # PaddleX hands the classifier the BGR crop; its ReadImage(format="RGB") turns it.
        probs = self.cls_model(clas_preprocess(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB), self.cls_spec)[None])
        if probs.ndim != 2 or probs.shape[1] != len(self.labels):
            raise BundleError(f"the attribute model gave scores of shape {list(probs.shape)} for "
                              f"{len(self.labels)} labels")
        thresholds = class_thresholds(self.cls_threshold, len(self.labels))
        # A batch's row k is cut at thresholds[k] (PaddleX's zip); rows past the class count get none.
        if position >= len(thresholds):
            return [], np.zeros(0)
        (_, scores, names), = multilabel_thresh(probs, thresholds[position:position + 1], self.labels)
        return names, scores

    def predict_one(self, image: np.ndarray) -> dict:
        boxes = self.det.predict_one(image)["boxes"]
        found = []
        for i, box in enumerate(boxes):
            x1, y1, x2, y2 = (int(v) for v in box["coordinate"])
            names, scores = self._classify(image[y1:y2, x1:x2].copy(), i % self.cls_batch_size)
            found.append({"labels": names, "cls_scores": scores, "det_score": box["score"],
                          "coordinate": box["coordinate"]})
        return {"boxes": found}

    def to_json(self, data: dict, input_path=None) -> dict:
        return {"input_path": input_path, **plain(data)}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        """PaddleX's draw_attribute_result: each box's outline in its colour, its attributes from the top-left corner
        down, each over a black shadow (texts need Pillow and a font with their glyphs, as the OCR pictures)."""
        from PIL import Image, ImageDraw

        from hpi.runtime_min.pipelines.fonts import default_chooser

        canvas = Image.fromarray(np.ascontiguousarray(image[:, :, ::-1]))
        draw = ImageDraw.Draw(canvas)
        size = int((0.024 * canvas.width + 2) * 0.7)
        thickness = int(max(canvas.size) * 0.005)
        chooser = fonts or default_chooser()
        for i, box in enumerate(data["boxes"]):
            colour = COLORMAP[i % len(COLORMAP)] + (255,)
            x1, y1, x2, y2 = (float(v) for v in box["coordinate"])
            draw.line([(x1, y1), (x1, y2), (x2, y2), (x2, y1), (x1, y1)], width=thickness, fill=colour)
            y = y1
            for line in box["labels"]:
                face = chooser.font_for(line)
                if face is None:
                    continue
                font = face.at(size)
                left, top, right, bottom = draw.textbbox((0, 0), line, font)
                draw.text((5 + x1 + 1, y + 1), line, fill=(0, 0, 0), font=font)
                draw.text((5 + x1, y), line, fill=colour, font=font)
                y += bottom - top + 4
        if not cv2.imwrite(str(path), cv2.cvtColor(np.asarray(canvas), cv2.COLOR_RGB2BGR)):
            raise OSError(f"cannot write {path}")


def build(name: str, models: dict, params: dict):
    missing = sorted({"det", "cls"} - set(models))
    if missing:
        raise BundleError(f"the bundle's {name} pipeline has no {', '.join(missing)} model (roles: "
                          f"{', '.join(sorted(models))}); recompile it")
    threshold = params["det_threshold"]
    if isinstance(threshold, dict):  # the manifest is JSON: class ids come back as strings
        threshold = {int(k): v for k, v in threshold.items()}
    det = DetectionRunner(models["det"], models["det"].entry.spec).with_params(threshold=threshold)
    return AttributeRecognitionRunner(det, models["cls"], models["cls"].entry.spec, threshold,
                                      params["cls_threshold"], int(params.get("cls_batch_size", 1)))

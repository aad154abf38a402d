"""Bundles of one object or layout detection model, in PaddleX's `DetResult` form."""

from __future__ import annotations

import copy
import dataclasses

import cv2
import numpy as np

from hpi.core.errors import UsageError
from hpi.core.specs import DetectionSpec
from hpi.runtime_min.compare import canonical
from hpi.runtime_min.ops.detection import postprocess, preprocess, split_batch
from hpi.runtime_min.pipelines.base import SingleModelRunner

# A fixed palette (BGR); PaddleX gives each new label the next colour of its colormap in the same way.
PALETTE = [(0, 0, 255), (0, 200, 0), (255, 0, 0), (0, 200, 255), (255, 0, 255), (255, 255, 0),
            (0, 128, 255), (128, 0, 255), (255, 128, 0), (128, 128, 0)]


class DetectionRunner(SingleModelRunner):
    """PaddleX's DetPredictor: `boxes` = [{cls_id, label, score, coordinate}] above the threshold."""

    def __init__(self, model, spec: DetectionSpec):
        super().__init__(model, spec)
        self.post = spec.postprocess

    def with_params(self, threshold=None, **unknown) -> "DetectionRunner":
        """PaddleX's per-call `threshold`: a number, or {class id: number} (None: the model's)."""
        if unknown:
            raise UsageError(f"unknown predict parameter(s) {', '.join(sorted(unknown))} for detection; "
                             "accepted (PaddleX's name): threshold")
        twin = copy.copy(self)
        if threshold is not None:
            values = threshold.values() if isinstance(threshold, dict) else [threshold]
            keys_ok = not isinstance(threshold, dict) or all(isinstance(k, int) for k in threshold)
            if not keys_ok or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                raise UsageError(f"threshold must be a number or {{class id: number}}, got {threshold!r}")
            twin.post = dataclasses.replace(self.post, threshold=threshold)
        return twin

    def predict_one(self, image: np.ndarray) -> dict:
        feeds = preprocess(image, self.spec)
        # PaddleX feeds its ToBatch arrays by position, so the model's own input names do not matter.
        session = self.model.session
        outputs = session.run(dict(zip(session.input_names, feeds.values())))
        boxes, counts = canonical(outputs, self.spec.output_order)[:2]
        p = self.post
        found = postprocess(split_batch(boxes, counts)[0], [image.shape[1], image.shape[0]], p.threshold,
                            p.label_list, p.layout_nms, p.layout_unclip_ratio, p.layout_merge_bboxes_mode)
        return {"boxes": found}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        """Each box in its label's colour with `label score` above it, like PaddleX's `draw_box`."""
        canvas = image.copy()
        thickness = max(1, int(max(canvas.shape[:2]) * 0.002))
        scale = max(0.4, (0.018 * canvas.shape[1] + 2) / 22)  # PaddleX's font size; Hershey 1.0 ~ 22 px
        colours: dict[str, tuple] = {}
        for box in data["boxes"]:
            colour = colours.setdefault(box["label"], PALETTE[len(colours) % len(PALETTE)])
            x1, y1, x2, y2 = (int(round(float(v))) for v in box["coordinate"])
            cv2.rectangle(canvas, (x1, y1), (x2, y2), colour, thickness)
            text = f"{box['label']} {box['score']:.2f}".encode("ascii", "replace").decode()
            (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
            top = y1 if y1 < th + base else y1 - th - base  # inside the box when it touches the top
            cv2.rectangle(canvas, (x1, top), (x1 + tw + 4, top + th + base), colour, -1)
            cv2.putText(canvas, text, (x1 + 2, top + th), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1)
        if not cv2.imwrite(str(path), canvas):
            raise OSError(f"cannot write {path}")


def build(name: str, models: dict, params: dict):
    return DetectionRunner.from_models(models)

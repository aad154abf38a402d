"""Bundles of one table structure recognition model (SLANet, SLANet_plus, SLANeXt_wired, SLANeXt_wireless), in
PaddleX's `TableRecResult` form: `bbox` (one 8-coordinate polygon per cell token, ints), `structure` (HTML
tokens) and `structure_score`."""

from __future__ import annotations

import cv2
import numpy as np

from hpi.runtime_min.ops.table_structure import TableLabelDecode, preprocess
from hpi.runtime_min.pipelines.base import SingleModelRunner


class TableStructureRunner(SingleModelRunner):
    def __init__(self, model, spec):
        super().__init__(model, spec)
        self.decode = TableLabelDecode(spec.postprocess)

    def predict_one(self, image: np.ndarray) -> dict:
        x, padding_size = preprocess(image, self.spec)
        session = self.model.session
        outputs = session.run({session.input_names[0]: x})
        # PaddleX: two outputs are (boxes, structure probabilities); one is the structure alone.
        if len(outputs) not in (1, 2):
            raise ValueError(f"a table structure model returns boxes and structure probabilities; this one "
                             f"returns {len(outputs)} outputs")
        boxes, probs = (None, outputs[0]) if len(outputs) == 1 else outputs
        return self.decode(None if boxes is None else np.asarray(boxes)[0], np.asarray(probs)[0], padding_size,
                           [image.shape[1], image.shape[0]])

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        """PaddleX's `_to_img`: each cell's box (4 numbers) or polygon in (255, 0, 0), 2 px, on the input;
        its image writer takes the BGR array as RGB, so the file has the channels reversed."""
        boxes = data["bbox"]
        canvas = np.array(image)
        if len(boxes) > 0 and len(boxes[0]) == 4:
            for x1, y1, x2, y2 in np.array(boxes).astype(int):
                cv2.rectangle(canvas, (x1, y1), (x2, y2), (255, 0, 0), 2)
        else:
            for box in boxes:
                canvas = cv2.polylines(canvas, [np.reshape(np.array(box), [-1, 1, 2]).astype(np.int64)], True,
                                       (255, 0, 0), 2)
        if not cv2.imwrite(str(path), np.ascontiguousarray(canvas[:, :, ::-1])):
            raise OSError(f"cannot write {path}")


def build(name: str, models: dict, params: dict):
    return TableStructureRunner.from_models(models)

"""Bundles of one formula recognition model (PP-FormulaNet), in PaddleX's `FormulaRecResult` form:
`rec_formula` (the LaTeX string).

The model's graph holds the whole greedy decoding (an ONNX Loop) and returns token ids; the runner
pre-processes as PaddleX does and decodes the ids with the bundle's tokenizer (runtime_min/ops/formula.py).
PaddleX's picture renders the formula with a LaTeX toolchain beside the input; without one (the case hpi
matches) it is the input image as read, which is what save_visualization writes.
"""

from __future__ import annotations

import cv2
import numpy as np

from hpi.runtime_min.ops.formula import UniMERNetDecode, preprocess
from hpi.runtime_min.pipelines.base import SingleModelRunner


class FormulaRecognitionRunner(SingleModelRunner):
    def __init__(self, model, spec):
        super().__init__(model, spec)
        self.decode = UniMERNetDecode(spec.postprocess.character_dict)

    def token_ids(self, image: np.ndarray) -> np.ndarray:
        """The model's token ids for one BGR image, [1, T] int64."""
        session = self.model.session
        return np.asarray(session.run({session.input_names[0]: preprocess(image, self.spec)})[0])

    def predict_one(self, image: np.ndarray) -> dict:
        return {"rec_formula": self.decode(self.token_ids(image).reshape([1, -1]))[0]}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        """PaddleX's `_to_img` without a LaTeX toolchain: the input image (read as RGB, saved as such)."""
        if not cv2.imwrite(str(path), image):
            raise OSError(f"cannot write {path}")


def build(name: str, models: dict, params: dict):
    return FormulaRecognitionRunner.from_models(models)

"""Table structure recognition (SLANet, SLANet_plus), ported from PaddleX 3.7.2's TableRunnerPredictor
(inference/models/table_structure_recognition/predictor.py, processors.py).

Pre-processing, as the predictor builds it from inference.yml: the BGR image as read, `ResizeByLong`
(long side to `max_len`, sides `round()`ed, cv2 bilinear), `Normalize` (ImageNet mean / std, 1/255),
`Pad` (zeros at the bottom and right up to `size[0]` x `size[0]`), `ToCHWImage`, `ToBatch`. The model
returns per decoding step a cell box [N, L, 8] in [0, 1] and the structure token probabilities
[N, L, C]; `TableLabelDecode` turns them into HTML structure tokens, boxes in pixels and a score.
"""

from __future__ import annotations

import cv2
import numpy as np

from hpi.core.specs import TableLabelDecodeSpec, TableStructureSpec
from hpi.runtime_min.ops.normalize import normalize

__all__ = ["preprocess", "TableLabelDecode", "HTML_HEAD", "HTML_TAIL"]

HTML_HEAD = ["<html>", "<body>", "<table>"]
HTML_TAIL = ["</table>", "</body>", "</html>"]
_TD_TOKENS = ("<td>", "<td", "<td></td>")


def preprocess(image: np.ndarray, spec: TableStructureSpec) -> tuple[np.ndarray, list[int]]:
    """(model input [1, 3, S, S] float32, padded size [w, h]) of one BGR uint8 image."""
    if spec.img_mode == "RGB":
        image = np.ascontiguousarray(image[:, :, ::-1])
    h, w = image.shape[:2]
    scale = spec.resize_long / max(h, w)
    size = (round(w * scale), round(h * scale))
    if size != (w, h):
        image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    chw = normalize(image, spec.normalize)
    _, rh, rw = chw.shape
    if rh > spec.pad_size or rw > spec.pad_size:
        raise ValueError(f"Input image ({rw}, {rh}) smaller than the target size "
                         f"({spec.pad_size}, {spec.pad_size}).")
    padded = np.full((3, spec.pad_size, spec.pad_size), spec.pad_value, dtype=np.float32)
    padded[:, :rh, :rw] = chw
    return padded[np.newaxis], [spec.pad_size, spec.pad_size]


class TableLabelDecode:
    """PaddleX's TableLabelDecode for one image: `sos` + the dictionary (merged) + `eos`."""

    def __init__(self, spec: TableLabelDecodeSpec):
        tokens = list(spec.character_dict)
        if spec.merge_no_span_structure:
            if "<td></td>" not in tokens:
                tokens.append("<td></td>")
            if "<td>" in tokens:
                tokens.remove("<td>")
        self.character = ["sos", *tokens, "eos"]
        # PaddleX's dict keeps the last index of a repeated token.
        index = {token: i for i, token in enumerate(self.character)}
        self.beg, self.end = index["sos"], index["eos"]
        self.box_scale = spec.box_scale

    def _scales(self, padding_size, ori_size) -> tuple[float, float]:
        """(x scale, y scale): PaddleX's `_get_bbox_scales` (its h_scale multiplies x, w_scale y)."""
        if self.box_scale == "original":
            return ori_size[0], ori_size[1]
        w, h = padding_size
        ratio = min(w / ori_size[0], h / ori_size[1])
        return w / ratio, h / ratio

    def __call__(self, boxes: np.ndarray | None, probs: np.ndarray, padding_size, ori_size) -> dict:
        """`bbox` (ints, one list per cell token), `structure` (tokens inside <html><body><table>) and
        `structure_score` (mean probability of the kept tokens, float32) of one image's outputs
        ([L, 8] or None, [L, C])."""
        if probs.shape[-1] != len(self.character):
            raise ValueError(f"the table model scores {probs.shape[-1]} structure tokens; its dictionary has "
                             f"{len(self.character)} (with sos / eos)")
        idx = probs.argmax(axis=-1)
        best = probs.max(axis=-1)
        structure, scores, cells = [], [], []
        for step, char_idx in enumerate(idx.tolist()):
            if step > 0 and char_idx == self.end:
                break
            if char_idx in (self.beg, self.end):
                continue
            text = self.character[char_idx]
            if text in _TD_TOKENS and boxes is not None:
                cells.append(boxes[step])
            structure.append(text)
            scores.append(best[step])
        score = np.mean(scores) if scores else 0.0
        bbox = []
        if cells:
            sx, sy = self._scales(padding_size, ori_size)
            n = np.asarray(cells).shape[-1]
            scales = np.array([sx, sy] * (n // 2))
            bbox = np.multiply(np.array(cells), scales).astype(int).tolist()
        return {"bbox": bbox, "structure": HTML_HEAD + structure + HTML_TAIL, "structure_score": score}

"""Text recognition pre/post-processing, ported from PaddleX 3.7.2 (text_recognition/).

`rec_resize_norm` is `OCRReisizeNormImg.resize` (dynamic width: `input_shape` unset, as in the
OCR pipeline), `rec_batch` is the recognizer's `ToBatch` (zero-pad to the widest, stack), and
`CTCLabelDecode` is PaddleX's greedy CTC decoder without word boxes.
"""

from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np

__all__ = ["REC_MAX_WIDTH", "resize_norm_img", "rec_resize_norm", "rec_batch", "CTCLabelDecode"]

# OCRReisizeNormImg.max_imgW: wider targets are squeezed to this width (aspect ratio not kept).
REC_MAX_WIDTH = 3200


def resize_norm_img(img: np.ndarray, rec_image_shape: Sequence[int],
                    max_wh_ratio: float) -> np.ndarray:
    """Resize to height imgH keeping the aspect ratio, pad with zeros to imgH * max_wh_ratio.

    Returns float32 [C, imgH, W] with values (v / 255 - 0.5) / 0.5, computed in float32 step by
    step as PaddleX does. The padding is 0.0 in that normalized space (mid-gray), not black.
    """
    img_c, img_h, _ = rec_image_shape
    if img.ndim != 3 or img.shape[2] != img_c:
        # PaddleX asserts the channel count; a 4-channel crop fails there too.
        raise ValueError(f"recognition input must have {img_c} channels, got shape {img.shape}")
    img_w = int(img_h * max_wh_ratio)
    if img_w > REC_MAX_WIDTH:
        resized = cv2.resize(img, (REC_MAX_WIDTH, img_h))
        resized_w = img_w = REC_MAX_WIDTH
    else:
        h, w = img.shape[:2]
        ratio = w / float(h)
        resized_w = img_w if math.ceil(img_h * ratio) > img_w else int(math.ceil(img_h * ratio))
        resized = cv2.resize(img, (resized_w, img_h))
    x = resized.astype(np.float32).transpose((2, 0, 1)) / np.float32(255)
    x -= np.float32(0.5)
    x /= np.float32(0.5)
    out = np.zeros((img_c, img_h, img_w), dtype=np.float32)
    out[:, :, 0:resized_w] = x
    return out


def rec_resize_norm(img: np.ndarray, rec_image_shape: Sequence[int] = (3, 48, 320)) -> np.ndarray:
    """PaddleX's per-image resize: the target width is max(imgW, imgH * w / h), so every crop
    is padded to at least imgW (320) and wider crops keep their full width."""
    img_c, img_h, img_w = rec_image_shape
    h, w = img.shape[:2]
    if h <= 0 or w <= 0:
        raise ValueError(f"recognition input must have positive height and width, got {img.shape}")
    max_wh_ratio = max(img_w / img_h, w * 1.0 / h)
    return resize_norm_img(img, rec_image_shape, max_wh_ratio)


def rec_batch(imgs: Sequence[np.ndarray]) -> np.ndarray:
    """Zero-pad the CHW images on the right to the widest one and stack to float32 NCHW."""
    max_w = max(img.shape[2] for img in imgs)
    padded = [np.pad(img, ((0, 0), (0, 0), (0, max_w - img.shape[2]))) for img in imgs]
    return np.stack(padded, axis=0).astype(np.float32, copy=False)


class CTCLabelDecode:
    """Greedy CTC decoding as PaddleX `CTCLabelDecode` (word boxes: ops/word_box.py).

    The class table is ["blank"] + character_list (+ [" "] when use_space_char), so output class
    0 is the CTC blank and class i is character_list[i - 1]. Per time step the argmax class and
    its probability are taken; repeats of the previous step and blanks are dropped. The score is
    the float32 mean of the kept steps' probabilities (0.0 when nothing is kept), as a Python
    float. Without a character_list PaddleX uses "0123456789abcdefghijklmnopqrstuvwxyz".
    """

    def __init__(self, character_list: Sequence[str] | None = None, use_space_char: bool = True,
                 display_order: str | None = None):
        chars = list(character_list) if character_list is not None else list(
            "0123456789abcdefghijklmnopqrstuvwxyz")
        if use_space_char:
            chars.append(" ")
        self.character = ["blank"] + chars
        self.for_display = _display_order(display_order)

    def __call__(self, preds: np.ndarray) -> tuple[list[str], list[float]]:
        """preds: [N, T, C] probabilities. Returns (texts, scores), one per row."""
        return self.decode_best(*self.best(preds))

    def best(self, preds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """preds: [N, T, C] probabilities. Returns each step's best class and its probability ([N, T] each)."""
        preds = np.asarray(preds)
        if preds.ndim != 3 or preds.shape[2] != len(self.character):
            raise ValueError(f"expected [N, T, {len(self.character)}] probabilities "
                             f"({len(self.character) - 1} characters + blank), got {preds.shape}")
        return preds.argmax(axis=-1), preds.max(axis=-1)

    @staticmethod
    def selection(idx: np.ndarray) -> np.ndarray:
        """bool [N, T]: the time steps whose class is kept (not blank, not a repeat of the step before)."""
        keep = np.ones(idx.shape, dtype=bool)
        keep[:, 1:] = idx[:, 1:] != idx[:, :-1]
        keep &= idx != 0
        return keep

    def decode_best(self, idx: np.ndarray, prob: np.ndarray) -> tuple[list[str], list[float]]:
        """The same from each step's best class `idx` [N, T] and its probability `prob` [N, T] (a GPU backend
        takes them on the device and downloads those instead of every class's probability)."""
        texts, scores = [], []
        for row_idx, row_prob, row_keep in zip(idx, prob, self.selection(idx)):
            texts.append("".join(self.character[i] for i in row_idx[row_keep]))
            kept = row_prob[row_keep]
            # np.mean of the 1-D kept probabilities (float32 pairwise sum), exactly as PaddleX;
            # a whole-batch reduction would sum in a different order.
            scores.append(np.mean(kept).tolist() if len(kept) else 0.0)
        return texts, scores


def _display_order(order: str | None):
    """text -> the text as PaddleX's predictor hands it out: unchanged, or for "bidi" (its Arabic recognizers)
    python-bidi's get_display of the decoded logical-order text (word boxes are computed before, on the
    logical order, as PaddleX does)."""
    if order is None:
        return lambda text: text
    if order != "bidi":
        from hpi.core.errors import BundleError
        raise BundleError(f"text recognition display_order {order!r} is not known to this runtime (known: bidi)")
    try:
        from bidi.algorithm import get_display
    except ImportError:
        from hpi.core.errors import BackendUnavailable
        raise BackendUnavailable("this bundle's Arabic text recognizer puts its texts in display order with "
                                 "python-bidi (as PaddleX does): pip install 'hpi-aot[arabic]'") from None
    return get_display

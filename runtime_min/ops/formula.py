"""Formula recognition pre- and post-processing as PaddleX 3.7.2's FormulaRecRunnerPredictor runs them for
PP-FormulaNet (paddlex/inference/models/formula_recognition/processors.py).

Pre: UniMERNetImgDecode (crop the margin where the grey level, stretched to 0..255, is >= 200; resize the
short side to min(input_size) with PIL bilinear, PIL `thumbnail` into input_size, pad with black to
input_size, centred), UniMERNetTestTransform (normalize with the grey mean 0.7931 / std 0.1738, then
BGR2GRAY on the float image), LatexImageFormat (channel 0, padded with 1 to a multiple of 16 / 32) ->
[1, 1, H, W] float32. PIL does the resizing, as in PaddleX: its resampling is not OpenCV's.

Post: UniMERNetDecode: the ids up to the first `eos` (2), the `tokenizers` library's decode with
skip_special_tokens after PaddleX's added / special tokens are registered, then its post_process
(Chinese `\\text{}` unwrapping, ftfy's fix_text, the space normalisation). `tokenizers` and `ftfy` are the
`[formula]` extra: a bundle of this family says so in one line when they are missing.
"""

from __future__ import annotations

import json
import math
import re

import cv2
import numpy as np

_MEAN, _STD = 0.7931, 0.1738
EXTRA_HINT = ("this bundle's formula recognizer decodes its tokens with the tokenizers and ftfy packages (as PaddleX "
              "does): pip install 'hpi-aot[formula]'")


def _crop_margin(img):
    data = np.array(img.convert("L")).astype(np.uint8)
    max_val, min_val = data.max(), data.min()
    if max_val == min_val:
        return img
    data = (data - min_val) / (max_val - min_val) * 255
    gray = 255 * (data < 200).astype(np.uint8)
    a, b, w, h = cv2.boundingRect(cv2.findNonZero(gray))
    return img.crop((a, b, w + a, h + b))


def _resize_short(img, size: int):
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return img.resize((new_w, new_h), resample=2)


def img_decode(rgb: np.ndarray, input_size: list[int]) -> np.ndarray:
    """UniMERNetImgDecode without random padding: an RGB uint8 [input_size[0], input_size[1], 3] array."""
    from PIL import Image, ImageOps

    img = _crop_margin(Image.fromarray(rgb).convert("RGB"))
    img = _resize_short(img, min(input_size))
    img.thumbnail((input_size[1], input_size[0]))
    dw, dh = input_size[1] - img.width, input_size[0] - img.height
    pw, ph = dw // 2, dh // 2
    return np.array(ImageOps.expand(img, (pw, ph, dw - pw, dh - ph)))


def test_transform(img: np.ndarray) -> np.ndarray:
    """UniMERNetTestTransform: normalized, grey, three equal channels (float32)."""
    mean = np.array([_MEAN] * 3).reshape((1, 1, 3)).astype("float32")
    std = np.array([_STD] * 3).reshape((1, 1, 3)).astype("float32")
    img = (img.astype("float32") * float(1 / 255.0) - mean) / std
    gray = np.squeeze(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
    return cv2.merge([gray] * 3)


def image_format(img: np.ndarray, multiple: int) -> np.ndarray:
    """LatexImageFormat (16) / UniMERNetImageFormat (32): [1, 1, H', W'] padded with 1."""
    h, w = img.shape[:2]
    img = np.pad(img[:, :, 0], ((0, math.ceil(h / multiple) * multiple - h),
                                (0, math.ceil(w / multiple) * multiple - w)), constant_values=(1, 1))
    return img[np.newaxis, np.newaxis, :, :]


def preprocess(image_bgr: np.ndarray, spec) -> np.ndarray:
    """The model input of one BGR image (PaddleX reads formula images as RGB)."""
    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    return image_format(test_transform(img_decode(rgb, spec.input_size)), spec.pad_multiple)


# --- UniMERNetDecode ---------------------------------------------------------------------------------

_SPECIAL = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}


class UniMERNetDecode:
    """PaddleX's UniMERNetDecode on the tokenizer PostProcess.character_dict carries."""

    def __init__(self, character_dict: dict):
        try:
            from tokenizers import AddedToken, Tokenizer
            import ftfy  # noqa: F401  (checked here, used per call)
        except ImportError:
            from hpi.core.errors import BackendUnavailable
            raise BackendUnavailable(EXTRA_HINT) from None
        self.tokenizer = Tokenizer.from_buffer(json.dumps(character_dict["fast_tokenizer_file"]).encode("utf-8"))
        config = character_dict.get("tokenizer_config_file")
        if config is None:
            return
        decoder = {int(i): AddedToken(**t) if isinstance(t, dict) else t
                   for i, t in (config.get("added_tokens_decoder") or {}).items()}
        # PaddleX's order: every configured added token by id, then the special tokens not among them; runs of
        # equal `special`-ness are registered together (add_special_tokens / add_tokens).
        tokens = [t for _, t in sorted(decoder.items(), key=lambda x: x[0])]
        encoder = [t.content for _, t in sorted(decoder.items(), key=lambda x: x[0])] + [str(t) for t in tokens]
        specials = list(_SPECIAL.values())
        tokens += [t for t in specials if t not in encoder and t not in tokens]
        run, last = [], None
        for token in tokens:
            special = (token.special or str(token) in specials) if isinstance(token, AddedToken) \
                else str(token) in specials
            if last is None or last == special:
                run.append(token)
            else:
                self._add(run, last)
                run = [token]
            last = special
        if run:
            self._add(run, last)

    def _add(self, tokens, special: bool) -> None:
        (self.tokenizer.add_special_tokens if special else self.tokenizer.add_tokens)(tokens)

    def __call__(self, token_ids: np.ndarray) -> list[str]:
        texts = []
        for ids in np.asarray(token_ids):
            ends = np.argwhere(ids == 2)
            if len(ends) > 0:
                ids = ids[: int(ends[0][0]) + 1]
            texts.append(self.tokenizer.decode(ids.tolist(), skip_special_tokens=True))
        return [post_process(t) for t in texts]


def _normalize(s: str) -> str:
    text_reg = r"(\\(operatorname|mathrm|text|mathbf)\s?\*? {.*?})"
    letter, noletter = r"[a-zA-Z]", r"[\W_^\d]"
    names = []
    for x in re.findall(text_reg, s):
        for m in re.findall(r"(\\[a-zA-Z]+)\s(?=\w)|\\[a-zA-Z]+\s(?=})", x[0]):
            if m not in ["\\operatorname", "\\mathrm", "\\text", "\\mathbf"] and m.strip() != "":
                s = s.replace(m, m + "XXXXXXX")
                s = s.replace(" ", "")
                names.append(s)
    if len(names) > 0:
        s = re.sub(text_reg, lambda match: str(names.pop(0)), s)
    news = s
    while True:
        s = news
        news = re.sub(r"(?!\\ )(%s)\s+?(%s)" % (noletter, noletter), r"\1\2", s)
        news = re.sub(r"(?!\\ )(%s)\s+?(%s)" % (noletter, letter), r"\1\2", news)
        news = re.sub(r"(%s)\s+?(%s)" % (letter, noletter), r"\1\2", news)
        if news == s:
            break
    return s.replace("XXXXXXX", " ")


def post_process(text: str) -> str:
    """remove_chinese_text_wrapping (which also drops every '"'), ftfy's fix_text, normalize."""
    from ftfy import fix_text

    text = re.compile(r"\\text\s*{([^{}]*[\u4e00-\u9fff]+[^{}]*)}").sub(lambda m: m.group(1), text)
    return _normalize(fix_text(text.replace('"', "")))

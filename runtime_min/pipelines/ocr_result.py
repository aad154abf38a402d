"""OCR results as PaddleX 3.7.2 writes them (pipelines/ocr/result.py): the JSON of
`OCRResult.save_to_json` and a two-panel picture like `save_to_img`.

The picture follows PaddleX's layout (left: the image with each line's polygon filled in a
random colour at 50 %; right: the text drawn into each box on white) but is not pixel-identical.
Text needs Pillow and a font file: `font_path`, else PaddleX's downloaded simfang.ttf or a
system CJK font, else DejaVu Sans for text without CJK characters. Without Pillow or a usable
font only the box outlines are drawn on the right.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
from pathlib import Path

import cv2
import numpy as np

from ..result import plain

__all__ = ["to_json_dict", "save_visualization"]

# The order of OCRResult._to_json (general text type, no word boxes).
_JSON_KEYS = ("model_settings", "doc_preprocessor_res", "dt_polys", "text_det_params", "text_type",
              "textline_orientation_angles", "text_rec_score_thresh", "return_word_box",
              "rec_texts", "rec_scores", "rec_polys", "rec_boxes")

_CJK_FONTS = (
    "~/.paddlex/fonts/simfang.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/simfang.ttf",
    "C:/Windows/Fonts/msyh.ttc",
)
_LATIN_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                "/usr/share/fonts/dejavu/DejaVuSans.ttf")
_CJK_CHARS = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def to_json_dict(result: dict, input_path: str | os.PathLike | None = None,
                 page_index: int | None = None) -> dict:
    """The dict PaddleX's `save_to_json` writes (its `.json["res"]`), for a predict_one result.

    input_path is the path as given to PaddleX (None for array input); page_index is None for
    images. Keys missing from the result (textline_orientation_angles when nothing was
    detected) are left out, as PaddleX does.
    """
    out = {"input_path": os.fspath(input_path) if input_path is not None else None,
           "page_index": page_index}
    for key in _JSON_KEYS:
        if key in result:
            out[key] = plain(result[key])
    return out


def _find_font(font_path: str | None) -> tuple[str | None, bool]:
    """(path, covers CJK) of the first font found."""
    if font_path:
        return font_path, True
    for cand in _CJK_FONTS:
        if os.path.isfile(os.path.expanduser(cand)):
            return os.path.expanduser(cand), True
    for cand in _LATIN_FONTS:
        if os.path.isfile(cand):
            return cand, False
    return None, False


def _text_panel(size: tuple[int, int], box: np.ndarray, txt: str, font_path: str) -> np.ndarray:
    """PaddleX draw_box_txt_fine: render txt on white at the box's size, warp it onto the box."""
    from PIL import Image, ImageDraw, ImageFont

    box_h = int(math.hypot(float(box[0][0] - box[3][0]), float(box[0][1] - box[3][1])))
    box_w = int(math.hypot(float(box[0][0] - box[1][0]), float(box[0][1] - box[1][1])))
    img_text = Image.new("RGB", (box_w, box_h), (255, 255, 255))
    draw = ImageDraw.Draw(img_text)
    if box_h > 2 * box_w and box_h > 30:  # vertical line: one character under another
        size_px = max(int(box_h / max(len(txt), 1) * 0.8 * 1.2), 10)
        font = ImageFont.truetype(font_path, size_px)
        widest = max(font.getlength(c) for c in txt)
        if widest > box_w:
            font = ImageFont.truetype(font_path, max(int(size_px * box_w / widest), 10))
        y = 0
        for c in txt:
            draw.text((0, y), c, font=font, fill=(0, 0, 0))
            bbox = font.getbbox(c)
            y += bbox[3] - bbox[1] + 2
    else:
        size_px = int(box_h * 0.8)
        font = ImageFont.truetype(font_path, size_px)
        length = font.getlength(txt)
        if length > box_w:
            font = ImageFont.truetype(font_path, int(size_px * box_w / length))
        draw.text((0, 0), txt, fill=(0, 0, 0), font=font)
    src = np.float32([[0, 0], [box_w, 0], [box_w, box_h], [0, box_h]])
    m = cv2.getPerspectiveTransform(src, np.array(box, dtype=np.float32))
    return cv2.warpPerspective(np.array(img_text, dtype=np.uint8), m, size, flags=cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))


def save_visualization(result: dict, image: np.ndarray, path: str | os.PathLike,
                       font_path: str | None = None) -> None:
    """Write the two-panel picture (width 2 * W) of a predict_one result on its BGR image."""
    try:
        import PIL  # noqa: F401  (only to know whether text can be drawn)
        font, font_has_cjk = _find_font(font_path)
    except ImportError:
        font, font_has_cjk = None, False
    h, w = image.shape[:2]
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    filled = rgb.copy()
    right = np.full((h, w, 3), 255, dtype=np.uint8)
    rng = random.Random(0)  # PaddleX seeds the global generator with 0: same colour sequence
    for box, txt in zip(result["rec_polys"], result["rec_texts"]):
        color = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        pts = np.array(box, np.int32).reshape((-1, 1, 2))
        cv2.fillPoly(filled, [pts], color)
        panel = np.full((h, w, 3), 255, dtype=np.uint8)
        if font and txt and (font_has_cjk or not _CJK_CHARS.search(txt)):
            try:
                panel = _text_panel((w, h), np.array(box), txt, font)
            except (OSError, ValueError, ZeroDivisionError, cv2.error):
                pass  # degenerate box or unreadable font: outline only, as PaddleX skips it
        cv2.polylines(panel, [pts], True, color, 1)
        right = cv2.bitwise_and(right, panel)
    left = cv2.addWeighted(rgb, 0.5, filled, 0.5, 0)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(os.fspath(path), cv2.cvtColor(np.hstack([left, right]), cv2.COLOR_RGB2BGR)):
        raise ValueError(f"{path}: cannot write image (unknown extension or unwritable folder)")

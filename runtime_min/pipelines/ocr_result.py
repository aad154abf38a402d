"""OCR results as PaddleX 3.7.2 writes them (pipelines/ocr/result.py): the JSON of
`OCRResult.save_to_json` and a two-panel picture like `save_to_img`.

The picture follows PaddleX's layout (left: the image with each line's polygon filled in a
random colour at 50 %; right: the text drawn into each box on white) but is not pixel-identical.
Texts are drawn with Pillow in the font a fonts.FontChooser picks (`--font-path`, $HPI_FONT_PATH,
a system font, Pillow's own); a text the font has no glyphs for gets its box outline only, and the
chooser says so once.
"""

from __future__ import annotations

import math
import os
import random
from pathlib import Path

import cv2
import numpy as np

from hpi.runtime_min.result import plain
from hpi.runtime_min.pipelines.fonts import Font, FontChooser, default_chooser

__all__ = ["to_json_dict", "save_visualization"]

# The order of OCRResult._to_json; the word boxes' text_word only where text_word_boxes is.
_JSON_KEYS = ("model_settings", "doc_preprocessor_res", "dt_polys", "text_det_params", "text_type",
              "textline_orientation_angles", "text_rec_score_thresh", "return_word_box",
              "rec_texts", "rec_scores", "rec_polys", "rec_boxes", "text_word_boxes", "text_word")

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
        if key in result and (key != "text_word" or "text_word_boxes" in result):
            out[key] = plain(result[key])
    return out


def _minarea_rect(points: np.ndarray) -> np.ndarray:
    """PaddleX's get_minarea_rect (pipelines/ocr/result.py): int32 corners from the top-left, clockwise."""
    corners = sorted(list(cv2.boxPoints(cv2.minAreaRect(points))), key=lambda p: p[0])
    a, d = (0, 1) if corners[1][1] > corners[0][1] else (1, 0)
    b, c = (2, 3) if corners[3][1] > corners[2][1] else (3, 2)
    return np.array([corners[a], corners[b], corners[c], corners[d]]).astype(np.int32)


def _text_panel(size: tuple[int, int], box: np.ndarray, txt: str, face: Font) -> np.ndarray:
    """PaddleX draw_box_txt_fine: render txt on white at the box's size, warp it onto the box."""
    from PIL import Image, ImageDraw

    box_h = int(math.hypot(float(box[0][0] - box[3][0]), float(box[0][1] - box[3][1])))
    box_w = int(math.hypot(float(box[0][0] - box[1][0]), float(box[0][1] - box[1][1])))
    img_text = Image.new("RGB", (box_w, box_h), (255, 255, 255))
    draw = ImageDraw.Draw(img_text)
    if box_h > 2 * box_w and box_h > 30:  # vertical line: one character under another
        size_px = max(int(box_h / max(len(txt), 1) * 0.8 * 1.2), 10)
        font = face.at(size_px)
        widest = max(font.getlength(c) for c in txt)
        if widest > box_w:
            font = face.at(max(int(size_px * box_w / widest), 10))
        y = 0
        for c in txt:
            draw.text((0, y), c, font=font, fill=(0, 0, 0))
            bbox = font.getbbox(c)
            y += bbox[3] - bbox[1] + 2
    else:
        size_px = int(box_h * 0.8)
        font = face.at(size_px)
        length = font.getlength(txt)
        if length > box_w:
            font = face.at(int(size_px * box_w / length))
        draw.text((0, 0), txt, fill=(0, 0, 0), font=font)
    src = np.float32([[0, 0], [box_w, 0], [box_w, box_h], [0, box_h]])
    m = cv2.getPerspectiveTransform(src, np.array(box, dtype=np.float32))
    return cv2.warpPerspective(np.array(img_text, dtype=np.uint8), m, size, flags=cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))


def _boxes_and_texts(result: dict) -> list:
    """What the picture shows: each word's box with return_word_box (those of zero height or width left
    out, as PaddleX), else each line's polygon."""
    if "text_word_region" not in result:
        return list(zip(result["rec_polys"], result["rec_texts"]))
    pairs = []
    for box, txt in zip((b for line in result["text_word_region"] for b in line),
                        (t for line in result["text_word"] for t in line)):
        height = int(math.hypot(box[0][0] - box[3][0], box[0][1] - box[3][1]))
        width = int(math.hypot(box[0][0] - box[1][0], box[0][1] - box[1][1]))
        if height and width:
            pairs.append((box, txt))
    return pairs


def save_visualization(result: dict, image: np.ndarray, path: str | os.PathLike,
                       font_path: str | None = None, fonts: FontChooser | None = None) -> None:
    """Write the two-panel picture (width 2 * W) of a predict_one result on its BGR image.

    Texts are drawn with `fonts` (or `font_path`, else the process-wide default chooser)."""
    fonts = (fonts or default_chooser()).using(font_path)
    h, w = image.shape[:2]
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    filled = rgb.copy()
    right = np.full((h, w, 3), 255, dtype=np.uint8)
    rng = random.Random(0)  # PaddleX seeds the global generator with 0: same colour sequence
    for box, txt in _boxes_and_texts(result):
        color = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        pts = np.array(box, np.int32).reshape((-1, 1, 2))
        cv2.fillPoly(filled, [pts], color)
        if len(box) > 4:
            # A seal polygon (PaddleX: outline width 8, then the text on its minimum-area rectangle,
            # flattened to a band at most 20 px high).
            cv2.polylines(filled, [pts], True, color, 8)
            box = _minarea_rect(np.array(box))
            height = int(0.5 * (max(box[:, 1]) - min(box[:, 1])))
            box[:2, 1] = np.mean(box[:, 1])
            box[2:, 1] = np.mean(box[:, 1]) + min(20, height)
            pts = np.array(box, np.int32).reshape((-1, 1, 2))
        panel = np.full((h, w, 3), 255, dtype=np.uint8)
        face = fonts.font_for(txt) if txt else None
        if face is not None:
            try:
                panel = _text_panel((w, h), np.array(box), txt, face)
            except (OSError, ValueError, ZeroDivisionError, cv2.error):
                pass  # degenerate box or unreadable font: outline only, as PaddleX skips it
        cv2.polylines(panel, [pts], True, color, 1)
        right = cv2.bitwise_and(right, panel)
    left = cv2.addWeighted(rgb, 0.5, filled, 0.5, 0)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(os.fspath(path), cv2.cvtColor(np.hstack([left, right]), cv2.COLOR_RGB2BGR)):
        raise ValueError(f"{path}: cannot write image (unknown extension or unwritable folder)")

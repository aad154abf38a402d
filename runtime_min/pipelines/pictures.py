"""Pictures more than one pipeline draws, and writing a result's pictures under PaddleX's names (its
`save_to_img` keys)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def write_pictures(pictures: list, path) -> None:
    """`pictures`: (PaddleX's key, draw(target)) pairs. Draw one picture to `path`, several to
    `<path stem>_<key><suffix>` beside it (PaddleX's naming)."""
    path = Path(path)
    for name, draw in pictures:
        draw(path if len(pictures) == 1 else path.with_name(f"{path.stem}_{name}{path.suffix}"))


def save_panels(image: np.ndarray, data: dict, path, fonts=None) -> None:
    """PaddleX's `preprocessed_img`: input, turned and unwarped image side by side over a row of captions
    (`data`: model_settings, angle, rot_img, output_img); the doc_preprocessor and OCR pipelines draw it."""
    from PIL import Image, ImageDraw

    from hpi.runtime_min.pipelines.fonts import default_chooser

    settings = data["model_settings"]
    panels = [image, data["rot_img"], data["output_img"]]
    captions = ["Original Image", f"Rotated Image ({settings['use_doc_orientation_classify']}, {data['angle']})",
                f"Unwarping Image ({settings['use_doc_unwarping']})"]
    height = max(p.shape[0] for p in panels)
    canvas = Image.new("RGB", (sum(p.shape[1] for p in panels), height + 25), (255, 255, 255))
    draw, left = ImageDraw.Draw(canvas), 0
    for panel, caption in zip(panels, captions):
        canvas.paste(Image.fromarray(np.ascontiguousarray(panel[:, :, 2::-1])), (left, 0))
        face = (fonts or default_chooser()).font_for(caption)
        if face is not None:
            size = 20
            while size > 1 and face.at(size).getbbox(caption)[2] > panel.shape[1] - 10:
                size -= 1
            draw.text((10 + left, height + 2), caption, fill=(0, 0, 0), font=face.at(size))
        left += panel.shape[1]
    if not cv2.imwrite(str(path), cv2.cvtColor(np.asarray(canvas), cv2.COLOR_RGB2BGR)):
        raise OSError(f"cannot write {path}")


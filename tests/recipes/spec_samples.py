"""Sample inference.yml configs, one or more per model recipe, for tests/recipes/test_specs.py.

The vision families take the fixtures' configs (tests/fixtures, yaml only) and variants that reach
the other branches of each recipe (resize_short + crop, a per-class threshold map, layout options, ...);
the PP-OCR ones are the real PP-OCRv4 files cut to what the recipes read.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import fetch_table_model  # noqa: E402  (scripts/; yaml only, no onnx)
import make_anomaly_model  # noqa: E402  (yaml only, no paddle)
import make_classification_model  # noqa: E402
import make_detection_model  # noqa: E402
import make_formula_model  # noqa: E402  (yaml only: the tokenizer below is written out, not trained)
import make_image_feature_model  # noqa: E402
import make_instance_seg_model  # noqa: E402
import make_multilabel_model  # noqa: E402
import make_segmentation_model  # noqa: E402
import make_ts_model  # noqa: E402  (yaml only, no paddle)

TEXT_DET = {
    "Global": {"model_name": "PP-OCRv4_mobile_det"},
    "PreProcess": {"transform_ops": [
        {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
        {"DetLabelEncode": None},
        {"DetResizeForTest": {"resize_long": 960}},
        {"NormalizeImage": {"mean": [0.485, 0.456, 0.406], "order": "hwc", "scale": "1./255.",
                            "std": [0.229, 0.224, 0.225]}},
        {"ToCHWImage": None},
        {"KeepKeys": {"keep_keys": ["image", "shape", "polys", "ignore_tags"]}}]},
    "PostProcess": {"name": "DBPostProcess", "thresh": 0.3, "box_thresh": 0.6, "max_candidates": 1000,
                    "unclip_ratio": 1.5},
}

TEXT_REC = {
    "Global": {"model_name": "PP-OCRv4_mobile_rec"},
    "PreProcess": {"transform_ops": [
        {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
        {"MultiLabelEncode": {"gtc_encode": "NRTRLabelEncode"}},
        {"RecResizeImg": {"image_shape": [3, 48, 320]}},
        {"KeepKeys": {"keep_keys": ["image", "label_ctc", "label_gtc", "length", "valid_ratio"]}}]},
    "PostProcess": {"name": "CTCLabelDecode", "character_dict": ["a", "b", "1", "中"]},
}


# UniMERNetDecode's character_dict in PaddleX's form, cut to a few tokens (the recipe stores it as it is).
FORMULA_TOKENIZER = {
    "fast_tokenizer_file": {"version": "1.0", "added_tokens": [], "normalizer": None,
                            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                                              "use_regex": True},
                            "post_processor": None, "decoder": {"type": "ByteLevel"},
                            "model": {"type": "BPE", "unk_token": "<unk>", "merges": [],
                                      "vocab": {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "x": 4, "\\": 5}}},
    "tokenizer_config_file": {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"},
}


def _edit(config: dict, change) -> dict:
    config = copy.deepcopy(config)
    change(config)
    return config


def _ops(config: dict, name: str) -> dict:
    return next(op[name] for op in config["PreProcess"]["transform_ops"] if name in op)


def samples() -> list[tuple[str, str, dict]]:
    """(label, model name, inference.yml as a dict)."""
    cls = make_classification_model.inference_config
    det = make_detection_model.inference_config
    seg = make_segmentation_model.inference_config
    out = [
        ("text_det", "PP-OCRv4_mobile_det", TEXT_DET),
        ("text_det_bare", "PP-OCRv4_server_det",
         {"Global": {"model_name": "PP-OCRv4_server_det"}, "PreProcess": {"transform_ops": [{"DetResizeForTest": None}]},
          "PostProcess": {"name": "DBPostProcess"}}),
        # PaddleX's PP-OCRv4_mobile_seal_det inference.yml (scripts/fetch_seal_model.py): 736, "min", polygons.
        ("seal_det", "PP-OCRv4_mobile_seal_det", _edit(TEXT_DET, lambda c: (
            c["Global"].update(model_name="PP-OCRv4_mobile_seal_det"), _ops(c, "DetResizeForTest").update(resize_long=736),
            c["PostProcess"].update(thresh=0.2, unclip_ratio=0.5, box_type="poly")))),
        ("text_rec", "PP-OCRv4_mobile_rec", TEXT_REC),
        ("text_rec_rgb", "PP-OCRv3_mobile_rec", _edit(TEXT_REC, lambda c: c["PreProcess"].update(transform_ops=[]))),
        ("classification", "PP-LCNet_x1_0", cls()),
        ("classification_size", "PP-HGNetV2-B0", _edit(cls("PP-HGNetV2-B0"), lambda c: (
            _ops(c, "ResizeImage").pop("resize_short"), _ops(c, "ResizeImage").update(size=[224, 160]),
            c["PreProcess"]["transform_ops"].remove({"CropImage": _ops(c, "CropImage")}),
            c["PostProcess"]["Topk"].pop("label_list")))),
        ("doc_ori", "PP-LCNet_x1_0_doc_ori", cls(make_classification_model.DOC_ORI)),
        ("table_cls", "PP-LCNet_x1_0_table_cls", cls(make_classification_model.TABLE_CLS)),
        ("textline_ori", "PP-LCNet_x0_25_textline_ori", _edit(cls("PP-LCNet_x0_25_textline_ori"), lambda c: (
            _ops(c, "ResizeImage").pop("resize_short"), _ops(c, "ResizeImage").update(size=[160, 80]),
            c["PreProcess"]["transform_ops"].remove({"CropImage": _ops(c, "CropImage")}),
            c["PostProcess"]["Topk"].update(topk=1, label_list=["0_degree", "180_degree"])))),
        ("multilabel", "PP-LCNet_x1_0_ML", make_multilabel_model.inference_config()),
        ("multilabel_map", "PP-HGNetV2-B0_ML",
         make_multilabel_model.inference_config("PP-HGNetV2-B0_ML", threshold={"default": 0.5, 1: 0.3})),
        ("pedestrian_attribute", "PP-LCNet_x1_0_pedestrian_attribute",
         make_multilabel_model.inference_config("PP-LCNet_x1_0_pedestrian_attribute")),
        ("vehicle_attribute", "PP-LCNet_x1_0_vehicle_attribute",
         make_multilabel_model.inference_config("PP-LCNet_x1_0_vehicle_attribute")),
        ("image_feature", "PP-ShiTuV2_rec", make_image_feature_model.inference_config()),
        ("face_feature", "MobileFaceNet", make_image_feature_model.inference_config("MobileFaceNet")),
        ("segmentation", "PP-LiteSeg-T", seg()),
        ("segmentation_resized", "PP-LiteSeg-B", seg("PP-LiteSeg-B", transforms=make_segmentation_model.RESIZED)),
        ("anomaly", "STFPM", make_anomaly_model.inference_config()),
        ("instance_segmentation", "Mask-RT-DETR-S", make_instance_seg_model.inference_config()),
        ("layout_options", "PP-DocLayout-L", _edit(det("PP-DocLayout-L"), lambda c: c.update(
            layout_nms=True, layout_unclip_ratio=1.05, layout_merge_bboxes_mode="large", draw_threshold=0.4))),
        ("detection_class_thresholds", "PicoDet-S", _edit(det(), lambda c: c.update(draw_threshold={0: 0.3, 1: 0.6}))),
        ("detection_int_threshold", "RT-DETR-L", _edit(det("RT-DETR-L"), lambda c: c.update(draw_threshold=1))),
        # PaddleX's UVDoc inference.yml (scripts/fetch_uvdoc_model.py): the predictor hard-codes the rest.
        ("image_unwarping", "UVDoc", {"Global": {"model_name": "UVDoc"}, "Hpi": {"backend_configs": {
            "paddle_infer": {"trt_dynamic_shapes": {"img": [[1, 3, 128, 64], [1, 3, 256, 128], [8, 3, 512, 256]]}}}}}),
        # The real SLANet / SLANet_plus inference.yml of scripts/fetch_table_model.py (yaml only, no onnx).
        ("table_structure", "SLANet", fetch_table_model.table_config("SLANet")),
        ("table_structure_plus", "SLANet_plus", fetch_table_model.table_config("SLANet_plus")),
        ("formula", "PP-FormulaNet-S", make_formula_model.model_config("PP-FormulaNet-S", FORMULA_TOKENIZER)),
        ("formula_768", "PP-FormulaNet_plus-L",
         make_formula_model.model_config("PP-FormulaNet_plus-L", FORMULA_TOKENIZER)),
        # PaddleTS's exported model meta (scaler.pkl's numbers are added by spec_for, from the model dir).
        ("ts_forecast", "DLinear", make_ts_model.inference_config("DLinear")),
        ("ts_anomaly", "DLinear_ad", make_ts_model.inference_config("DLinear_ad")),
    ]
    out += [(name, name, det(name)) for name in make_detection_model.MODELS]
    return out

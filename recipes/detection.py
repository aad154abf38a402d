"""Object detection and layout detection (PaddleX modules `object_detection`, `layout_detection`).

PaddleX runs both with the same DetPredictor; layout models differ only in their label list (and the
layout post-processing options). The exported models end in Paddle's NMS (PicoDet, PP-YOLOE) or a
top-k (RT-DETR, PP-DocLayout) and return boxes [K, 6] = (class, score, x1, y1, x2, y2) and a box count.
"""

from __future__ import annotations

from typing import ClassVar

from hpi.core.errors import CompileError
from hpi.core.specs import DetectionResizeSpec, DetectionSpec, DetPostProcessSpec, NormalizeSpec
from hpi.recipes.base import ModelRecipe, Tolerance, channel_values, refuse_models, register_model, typed_transforms
from hpi.runtime_min.ops.normalize import IMAGENET_MEAN, IMAGENET_STD

# The Preprocess ops the runtime ports; NormalizeImage may be absent (PaddleDetection's `fuse_normalize`
# exports, e.g. the small object detectors, normalise inside the model). PaddleX builds Pad, PadStride and
# WarpAffine from inference.yml too; no model of these recipes uses them, so they are refused rather than run
# untested.
_KNOWN_OPS = ("Resize", "NormalizeImage", "Permute")
_REQUIRED_OPS = ("Resize", "Permute")
# Without NormalizeImage PaddleX's ToBatch hands the model the resized pixels as float32: an identity here.
_NO_NORMALIZE = NormalizeSpec(mean=[0.0, 0.0, 0.0], std=[1.0, 1.0, 1.0], scale=1.0)
# DetPredictor.build_resize: inference.yml's integer interp → OpenCV interpolation name.
_INTERP = {0: "NEAREST", 1: "LINEAR", 2: "BICUBIC", 3: "AREA", 4: "LANCZOS4"}
# PaddleX's DetPredictor.build_to_batch: models whose name contains one of these get `im_shape` first.
_NEEDS_IM_SHAPE = ("DETR", "DINO", "RCNN", "YOLOv3", "CenterNet", "BlazeFace", "PP-DocLayout-L",
                   "PP-DocLayout_plus-L", "PP-DocBlockLayout", "PP-DocLayoutV2")
MERGE_MODES = ("union", "large", "small")


def det_resize(args: dict) -> DetectionResizeSpec:
    """DetPredictor's Resize."""
    size = args.get("target_size")
    if not size or (not isinstance(size, int) and len(size) != 2):
        raise CompileError(f"inference.yml Preprocess Resize needs target_size [h, w], got {size!r}")
    interp = args.get("interp", 2)
    name = _INTERP.get(interp) if isinstance(interp, int) else str(interp).upper()
    if name not in _INTERP.values():
        raise CompileError(f"Resize interp {interp!r} is not supported ({', '.join(map(str, _INTERP))} or "
                           f"{', '.join(_INTERP.values())})")
    target = [int(size), int(size)] if isinstance(size, int) else [int(v) for v in size]
    return DetectionResizeSpec(target_size=target, keep_ratio=bool(args.get("keep_ratio", False)), interpolation=name)


def det_normalize(args: dict | None) -> NormalizeSpec:
    """DetPredictor's NormalizeImage (None: the op is absent, the pixels go in as they are)."""
    if args is None:
        return _NO_NORMALIZE
    norm_type = args.get("norm_type") or "none"
    # PaddleX treats a missing or "none" norm_type as "mean_std"; any other crashes its Normalize.
    if norm_type not in ("none", "mean_std"):
        raise CompileError(f"NormalizeImage norm_type {norm_type!r} is not supported (mean_std, none)")
    return NormalizeSpec(mean=channel_values(args.get("mean", IMAGENET_MEAN)),
                         std=channel_values(args.get("std", IMAGENET_STD)),
                         scale=1.0 / 255.0 if args.get("is_scale", True) else 1.0)


def det_ops(config: dict) -> dict[str, dict]:
    """inference.yml's `Preprocess` of a DetPredictor model (detection, layout, instance segmentation)."""
    return typed_transforms(config.get("Preprocess"), "detection", "Preprocess", dict.fromkeys(_KNOWN_OPS),
                            required=_REQUIRED_OPS)


def threshold_value(value, where: str = "inference.yml draw_threshold"):
    """A detection threshold as PaddleX uses it: a float filters, a {class id: float} dict filters per class."""
    if isinstance(value, dict):
        return {int(k): float(v) for k, v in value.items()}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # PaddleX filters only when the threshold is a float (`isinstance(threshold, float)`).
        return float(value) if isinstance(value, float) else int(value)
    raise CompileError(f"{where} must be a number or a {{class id: number}} map, got {value!r}")



def merge_mode_value(value, where: str = "inference.yml layout_merge_bboxes_mode"):
    """PaddleX's layout_merge_bboxes_mode: one of MERGE_MODES, or a {class id: mode} map (per class)."""
    if isinstance(value, dict) and all(v in MERGE_MODES for v in value.values()):
        return {int(k): v for k, v in value.items()}
    if value in MERGE_MODES:
        return value
    raise CompileError(f"{where} must be one of {', '.join(MERGE_MODES)} or a {{class id: mode}} map, got {value!r}")


def _unclip(value):
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return [float(value), float(value)]
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return [float(v) for v in value]
    raise CompileError(f"inference.yml layout_unclip_ratio {value!r} is not supported (a number or [w, h])")


def _size(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def hpi_defaults(h: int, w: int, im_shape: bool, batch: int = 8) -> tuple[dict, dict]:
    """PaddleX's Hpi block for detectors (pdparams2safetensors/inference_meta.py `_hpi_rtdetr`): the
    (default_profile, default_profile_input_data) pair, i.e. the input shapes and the values of the
    data inputs (`trt_dynamic_shape_input_data`)."""
    profile = {"image": ([1, 3, h, w], [1, 3, h, w], [batch, 3, h, w]),
               "scale_factor": ([1, 2], [1, 2], [batch, 2])}
    data = {"scale_factor": ([2, 2], [1, 1], [0.67] * (2 * batch))}
    if im_shape:
        profile = {"im_shape": ([1, 2], [1, 2], [batch, 2]), **profile}
        data = {"im_shape": ([h, w], [h, w], [h, w] * batch), **data}
    return profile, data


@register_model
class ObjectDetectionRecipe(ModelRecipe):
    family = "object_detection"
    model_names = ("PicoDet-S",)
    default_profile, default_profile_input_data = hpi_defaults(416, 416, im_shape=False)
    # One output holds class ids, scores (0..1) and pixel coordinates (up to a few thousand): scores stay
    # within 2e-4 (PaddleX's parity asks 1e-4; converters differ by ~1e-6 here), coordinates within 1e-4
    # relative (0.1 px at 1000 px). rtol 1e-5 is too tight for real weights: OpenVINO fp32 moves rapid-
    # layout's CDLA boxes by up to 1.3e-5 relative (1.7e-3 px).
    tolerance = Tolerance(atol=1e-4, rtol=1e-4)

    # The row order of the boxes output (runtime_min.compare.canonical): NMS models "paddle_nms";
    # DETR models "topk" (by score; OpenVINO's TopK reorders equal scores).
    output_order: ClassVar[str | None] = "paddle_nms"

    @classmethod
    def profile(cls, config):
        # The runtime feeds one image at a time (PaddleX's default batch_size 1), and paddle2onnx's
        # multiclass_nms3 only converts batch 1 (at batch 8 the ONNX fails in a Concat, and onnxslim pins
        # scale_factor to [1, 2]), so PaddleX's [min, opt, max] profile is cut to batch 1 here.
        return {name: tuple([min(s[0], 1), *s[1:]] for s in triple)
                for name, triple in super().profile(config).items()}

    @classmethod
    def profile_input_data(cls, config):
        # Per corner the values fill the input's shape; at batch 1 that is its first row.
        shapes = cls.profile(config)
        return {name: tuple(values[:_size(shapes[name][i])] if name in shapes else values
                            for i, values in enumerate(triple))
                for name, triple in super().profile_input_data(config).items()}

    @classmethod
    def runtime_spec(cls, config):
        ops = det_ops(config)
        labels = config.get("label_list")
        if not labels:
            raise CompileError("inference.yml of a detection model has no label_list")
        merge = config.get("layout_merge_bboxes_mode")
        if merge is not None:
            merge = merge_mode_value(merge)
        name = (config.get("Global") or {}).get("model_name", "")
        return DetectionSpec(
            # Backends may reorder boxes Paddle writes in a defined order (runtime_min.compare.canonical).
            output_order=cls.output_order,
            feeds=(["img_size"] if any(k in name for k in _NEEDS_IM_SHAPE) else []) + ["img", "scale_factors"],
            resize=det_resize(ops["Resize"]),
            normalize=det_normalize(ops.get("NormalizeImage")),
            postprocess=DetPostProcessSpec(threshold=threshold_value(config.get("draw_threshold", 0.5)),
                                           label_list=[str(v) for v in labels],
                                           layout_nms=bool(config.get("layout_nms") or False),
                                           layout_unclip_ratio=_unclip(config.get("layout_unclip_ratio")),
                                           layout_merge_bboxes_mode=merge),
        )

    @classmethod
    def sample_inputs(cls, image, spec):
        from hpi.runtime_min.ops.detection import preprocess

        return preprocess(image, spec)


@register_model
class PPYOLOEPlusRecipe(ObjectDetectionRecipe):
    # PP-YOLOE_plus-S_face: face_recognition.yaml's face detector, the same export with the one label `face`.
    model_names = ("PP-YOLOE_plus-S", "PP-YOLOE_plus-S_face")
    default_profile, default_profile_input_data = hpi_defaults(640, 640, im_shape=False)


@register_model
class RTDETRRecipe(ObjectDetectionRecipe):
    model_names = ("RT-DETR-L",)
    output_order = "topk"
    default_profile, default_profile_input_data = hpi_defaults(640, 640, im_shape=True)


@register_model
class TableCellDetectionRecipe(RTDETRRecipe):
    """PaddleX's table cell detectors (module `table_cells_detection`, used by table_recognition_v2): RT-DETR-L
    run by the same DetPredictor, inference.yml's label list `cell`, 640 x 640 (PaddleX's
    inference_meta._meta_det_rtdetr for them); the results are PaddleX's DetResult."""

    model_names = ("RT-DETR-L_wired_table_cell_det", "RT-DETR-L_wireless_table_cell_det")


@register_model
class PicoDetLayoutRecipe(ObjectDetectionRecipe):
    """PaddleX's `layout_detection` module runs the same DetPredictor; only the labels differ."""

    family = "layout_detection"
    model_names = ("PicoDet_layout_1x",)
    default_profile, default_profile_input_data = hpi_defaults(800, 608, im_shape=False)


@register_model
class PPDocLayoutRecipe(PicoDetLayoutRecipe):
    model_names = ("PP-DocLayout-L",)
    output_order = "topk"
    default_profile, default_profile_input_data = hpi_defaults(640, 640, im_shape=True)


@register_model
class PPDocLayoutPlusRecipe(PPDocLayoutRecipe):
    """PP-StructureV3's layout model: RT-DETR-L at 800 x 800 with 20 labels (inference_meta._meta_det_rtdetr);
    the same DetPredictor, export and post-processing as PP-DocLayout-L."""

    model_names = ("PP-DocLayout_plus-L",)
    default_profile, default_profile_input_data = hpi_defaults(800, 800, im_shape=True)


@register_model
class PPDocBlockLayoutRecipe(PPDocLayoutRecipe):
    """PP-StructureV3's region detector: RT-DETR-L at 640 x 640, one label `Region`; the pipeline runs it with
    layout_nms and merge mode "small"."""

    model_names = ("PP-DocBlockLayout",)


@register_model
class PicoDetLCNetRecipe(ObjectDetectionRecipe):
    """PaddleX's face detection (`face_detection` module) and PP-ShiTuV2 main-body detection models:
    PicoDet with an LCNet x2.5 backbone, listed in PaddleX's object_detection model list and
    run by the same DetPredictor (Paddle NMS, no `im_shape`); their inference.yml carries the one-class
    label list (`face`, `mainbody`). The retrieval pipelines around them: recipes/retrieval.py."""

    model_names = ("PicoDet_LCNet_x2_5_face", "PP-ShiTuV2_det")
    # PaddleX has no Hpi block for these to copy (inference_meta.py); 640x640 is PicoDet LCNet x2.5's
    # export size as far as known here (unverified: no official model dir reachable). A model dir's own
    # Hpi block, as PaddleX ships it, takes precedence.
    default_profile, default_profile_input_data = hpi_defaults(640, 640, im_shape=False)


@register_model
class PPYOLOEAttributeDetRecipe(ObjectDetectionRecipe):
    """The attribute pipelines' detectors (PaddleX's pedestrian_attribute_recognition / vehicle_attribute_recognition):
    PP-YOLOE-L trained on one class (`pedestrian`, `vehicle`), PaddleDetection's ppyoloe_reader at 640 x 640 with
    ImageNet normalisation, Paddle's NMS; the same DetPredictor as the other detectors."""

    model_names = ("PP-YOLOE-L_human", "PP-YOLOE-L_vehicle")
    default_profile, default_profile_input_data = hpi_defaults(640, 640, im_shape=False)


# Detectors PaddleX's HPI runs on Paddle only (hpi_model_info_collection.json), refused with what stands in the way
# (docs/pipelines.md, "Beyond PaddleX's HPI"); PaddleX itself runs them.
_CENTERNET = ("its Preprocess WarpAffine (keep_res: the image padded to a multiple of 32 by an affine warp) is not "
              "ported and no export of its CenterNetPostProcess (heatmap max-pool, top-k, affine back-transform) has "
              "been verified; PaddleX's HPI runs it on paddle / paddle_mkldnn only")
refuse_models({
    "FasterRCNN-Swin-Tiny-FPN": "FasterRCNN-Swin-Tiny-FPN is not supported: its RPN's generate_proposals_v2 has no ONNX "
                                "conversion in paddle2onnx 1.3.1 or 2.1.0 (measured) and its Preprocess Pad is not "
                                "ported; PaddleX's HPI runs it on paddle only. Run it with PaddleX",
    **{name: f"{name} is not supported: {_CENTERNET}. Run it with PaddleX"
       for name in ("CenterNet-DLA-34", "CenterNet-ResNet50")},
})

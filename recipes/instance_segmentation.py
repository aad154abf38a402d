"""Instance segmentation (PaddleX module `instance_segmentation`): Mask-RT-DETR.

PaddleX's InstanceSegPredictor is its DetPredictor with a third model output: the exported model
feeds `im_shape`, `image`, `scale_factor` (ToBatch order) and returns boxes [K, 6] = (class, score,
x1, y1, x2, y2) in original pixels, the box count, and masks [K, H, W] (int32 0/1) already resized to
the original image inside the model. Pre-processing is the detection recipe's; post-processing is
`InstanceSegPostProcess` (runtime_min/ops/instance_segmentation.py).

SOLOv2, PP-YOLOE_seg-S and Cascade-MaskRCNN export other signatures (SOLOv2 four outputs, the others
run at batch 1 through another branch of PaddleX's `_format_output`) and are not accepted: no fixture
of theirs has been verified.
"""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.core.specs import InstanceSegmentationSpec, InstanceSegPostProcessSpec
from hpi.recipes.base import Tolerance, register_model
from hpi.recipes.detection import ObjectDetectionRecipe, det_normalize, det_ops, det_resize, hpi_defaults


@register_model
class MaskRTDETRRecipe(ObjectDetectionRecipe):
    family = "instance_segmentation"
    # PaddleX lists the five sizes with the same exported head (PaddleDetection's DETRPostProcess with
    # masks); only -S has a parity fixture, the others share its signature and inference.yml.
    model_names = ("Mask-RT-DETR-S", "Mask-RT-DETR-M", "Mask-RT-DETR-L", "Mask-RT-DETR-X", "Mask-RT-DETR-H")
    output_order = "topk_masks"
    default_profile, default_profile_input_data = hpi_defaults(640, 640, im_shape=True, batch=1)
    # Boxes as RT-DETR's; masks are 0/1 after `sigmoid > 0.5` inside the model, so a pixel whose mask
    # logit is within float noise of 0 may flip between Paddle and a backend: at most 0.1 % of the
    # elements of an output may be off (for the [K, 6] boxes that means none).
    tolerance = Tolerance(atol=1e-4, rtol=1e-4, mismatch_fraction=1e-3)

    @classmethod
    def runtime_spec(cls, config):
        ops = det_ops(config)
        labels = config.get("label_list")
        if not labels:
            raise CompileError("inference.yml of an instance segmentation model has no label_list")
        threshold = config.get("draw_threshold", 0.5)
        # InstanceSegPostProcess compares scores with the threshold directly: a per-class map crashes it.
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise CompileError(f"inference.yml draw_threshold of an instance segmentation model must be a "
                               f"number, got {threshold!r}")
        return InstanceSegmentationSpec(
            output_order=cls.output_order,
            feeds=["img_size", "img", "scale_factors"],
            resize=det_resize(ops["Resize"]),
            normalize=det_normalize(ops.get("NormalizeImage")),
            postprocess=InstanceSegPostProcessSpec(threshold=float(threshold), label_list=[str(v) for v in labels]),
        )

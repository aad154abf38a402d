"""Semantic segmentation (PaddleX module `semantic_segmentation`): PP-LiteSeg, SegFormer, Deeplabv3, ...

PaddleX's SegPredictor takes its pre-processing from inference.yml's `Deploy.transforms` (PaddleSeg's
export form, not PaddleClas's PreProcess) and expects the exported model to end in argmax.
"""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.core.specs import NormalizeSpec, SegmentationSpec, SegResizeSpec
from hpi.recipes.base import ModelRecipe, Tolerance, channel_values, register_model, typed_transforms
from hpi.runtime_min.ops.classification import INTERPOLATIONS

# SegPredictor's registered transforms and the arguments each builder takes (any other is a
# TypeError in PaddleX); it runs Resize before Normalize whatever order inference.yml lists them in.
_TRANSFORM_ARGS = {
    "Resize": ("target_size", "keep_ratio", "size_divisor", "interp"),
    "Normalize": ("mean", "std"),
}


def deploy_transforms(config: dict, known: dict[str, tuple[str, ...]], family: str,
                      required: tuple[str, ...]) -> dict[str, dict]:
    """inference.yml's `Deploy.transforms` (PaddleSeg's export form, also read by PaddleX's UadPredictor)
    as {name: args}; see recipes.base.typed_transforms."""
    return typed_transforms((config.get("Deploy") or {}).get("transforms"), family, "Deploy.transforms", known,
                            required)


def _size(value, what: str) -> list[int]:
    size = [value, value] if isinstance(value, int) else value
    if not (isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(v, int) for v in size)):
        raise CompileError(f"{what} must be an int or [width, height] of ints, got {value!r}")
    return [int(v) for v in size]


def seg_resize(args: dict | None, keep_ratio: bool = True, size_divisor: int | None = 32) -> SegResizeSpec:
    """The runtime's Resize from a Deploy.transforms Resize; `keep_ratio` and `size_divisor` are the
    predictor's defaults for absent keys. Without a Resize (SegPredictor) PaddleX adds one with
    target_size -1: the image keeps its size."""
    args = args or {}
    interpolation = str(args.get("interp", "LINEAR")).upper()
    if interpolation not in INTERPOLATIONS:
        raise CompileError(f"Resize interp {interpolation!r} is not supported ({', '.join(INTERPOLATIONS)})")
    divisor = args.get("size_divisor", size_divisor)
    if divisor is not None and not isinstance(divisor, int):
        raise CompileError(f"Resize size_divisor must be an int or null, got {divisor!r}")
    return SegResizeSpec(target_size=_size(args.get("target_size", -1), "Resize target_size"),
                         keep_ratio=bool(args.get("keep_ratio", keep_ratio)), size_divisor=divisor,
                         interpolation=interpolation)


def _channels(value, what: str) -> list[float]:
    if not (isinstance(value, (int, float)) or (isinstance(value, (list, tuple)) and len(value) == 3)):
        raise CompileError(f"Normalize {what} must be a number or 3 numbers, got {value!r}")
    return channel_values(value)


def seg_normalize(args: dict) -> NormalizeSpec:
    """The runtime's Normalize from a Deploy.transforms Normalize (PaddleSeg's 0.5 defaults, pixels / 255)."""
    return NormalizeSpec(mean=_channels(args.get("mean", 0.5), "mean"), std=_channels(args.get("std", 0.5), "std"),
                         scale=1 / 255)


@register_model
class SemanticSegmentationRecipe(ModelRecipe):
    family = "semantic_segmentation"
    # PaddleX's semantic_segmentation module list (all run by the same SegPredictor), less MaskFormer,
    # whose export was not checked to end in the same argmax map. The runtime refuses any other output.
    model_names = ("PP-LiteSeg-T", "PP-LiteSeg-B", "SegFormer-B0", "SegFormer-B1", "SegFormer-B2",
                   "SegFormer-B3", "SegFormer-B4", "SegFormer-B5", "SeaFormer_tiny", "SeaFormer_small",
                   "SeaFormer_base", "SeaFormer_large", "Deeplabv3-R50", "Deeplabv3-R101",
                   "Deeplabv3_Plus-R50", "Deeplabv3_Plus-R101", "OCRNet_HRNet-W18", "OCRNet_HRNet-W48")
    # Cityscapes-sized inputs (PaddleSeg's PP-LiteSeg crop 1024x512), halved and doubled.
    default_profile = {"x": ([1, 3, 128, 256], [1, 3, 512, 1024], [1, 3, 1024, 2048])}
    # The output is an int label map, compared element by element: atol 0 means equal. A pixel whose two
    # best logits are within float noise may flip between Paddle and a converted model, so up to 0.1 %
    # of the pixels (the parity criterion) may differ; more means the conversion is wrong.
    tolerance = Tolerance(atol=0.0, mismatch_fraction=1e-3)

    @classmethod
    def runtime_spec(cls, config):
        deploy = config.get("Deploy") or {}
        output_op = deploy.get("output_op", "argmax")
        if output_op != "argmax":
            raise CompileError(f"semantic segmentation Deploy.output_op {output_op!r} is not supported: PaddleX's "
                               f"SegPredictor needs the argmax label map (export with output_op argmax)")
        transforms = deploy_transforms(config, _TRANSFORM_ARGS, "semantic segmentation", ("Normalize",))
        return SegmentationSpec(resize=seg_resize(transforms.get("Resize")),
                                normalize=seg_normalize(transforms["Normalize"]))

    @classmethod
    def sample_inputs(cls, image, spec):
        import cv2

        from hpi.runtime_min.ops.segmentation import preprocess

        return {"x": preprocess(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), spec)[None]}

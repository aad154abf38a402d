"""Image feature / embedding (PaddleX modules `image_feature` and `face_feature`): PP-ShiTuV2_rec,
MobileFaceNet.

PaddleX's ImageFeaturePredictor (FaceFeaturePredictor subclasses it, adding only an optional
`flip`, off by default) runs `ResizeImage`, `NormalizeImage`, `ToCHWImage` from
`PreProcess.transform_ops` on the RGB image, then `NormalizeFeatures` (L2) on the model's first
output. PaddleX's own retrieval pipelines (PP-ShiTuV2, face_recognition: detector + embedder + index)
are not ported; these recipes give the embedding of a whole image (or of a crop the caller made).
"""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.core.specs import ClasResizeSpec, ImageFeatureSpec, NormalizeFeaturesSpec, NormalizeSpec
from hpi.recipes.base import ModelRecipe, Tolerance, channel_values, register_model, transform_ops
from hpi.runtime_min.ops.normalize import IMAGENET_MEAN, IMAGENET_STD, parse_scale

# The ops ImageFeaturePredictor registers; it runs them in this order whatever order inference.yml
# lists them in, and a missing one crashes it (KeyError), so all three are required. PaddleX has no
# CropImage here (its predictor fails on it), so a crop is refused, not skipped.
_KNOWN_OPS = ("ResizeImage", "NormalizeImage", "ToCHWImage")


def _ops(config: dict) -> dict[str, dict]:
    return transform_ops(config, "image feature", _KNOWN_OPS, required=_KNOWN_OPS)


def _resize(args: dict) -> ClasResizeSpec:
    # PaddleX's image_feature build_resize ignores `interpolation` and `backend` (a TODO in its source):
    # it always resizes with OpenCV, bilinear. So does the runtime, whatever inference.yml says.
    if args.get("resize_short"):
        return ClasResizeSpec(resize_short=int(args["resize_short"]), interpolation="LINEAR")
    size = args.get("size")
    if isinstance(size, int) and not isinstance(size, bool):
        return ClasResizeSpec(size=size, interpolation="LINEAR")
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return ClasResizeSpec(size=[int(v) for v in size], interpolation="LINEAR")
    raise CompileError(f"image feature ResizeImage needs resize_short or size (int or [w, h]), got {args!r}")


def _normalize(args: dict) -> NormalizeSpec:
    if int(args.get("channel_num", 3)) != 3:
        raise CompileError("image feature NormalizeImage needs channel_num 3 (PaddleX asserts it)")
    # PaddleX ignores `order` here and normalises the HWC image; "chw" would mean a different layout.
    if str(args.get("order", "") or "").lower() not in ("", "hwc"):
        raise CompileError(f"image feature NormalizeImage order {args['order']!r} is not supported ('' or hwc)")
    mean, std = channel_values(args.get("mean", IMAGENET_MEAN)), channel_values(args.get("std", IMAGENET_STD))
    if len(mean) != 3 or len(std) != 3:
        raise CompileError(f"image feature NormalizeImage mean and std need 3 values, got {mean} and {std}")
    return NormalizeSpec(mean=mean, std=std, scale=parse_scale(args.get("scale", 1 / 255)))


@register_model
class ImageFeatureRecipe(ModelRecipe):
    family = "image_feature"
    # PaddleX's general_recognition model list (the CLIP ones are the same predictor on a ViT).
    model_names = ("PP-ShiTuV2_rec", "PP-ShiTuV2_rec_CLIP_vit_base", "PP-ShiTuV2_rec_CLIP_vit_large")
    # Used only when inference.yml has neither an Hpi block nor a ResizeImage `size` (see `profile`);
    # PaddleX's pdparams2safetensors/inference_meta.py has no Hpi block for these models to copy.
    default_profile = {"x": ([1, 3, 224, 224], [1, 3, 224, 224], [8, 3, 224, 224])}
    # Raw features before L2 normalisation: parity asks cosine >= 0.9999 of the normalised embedding;
    # converters differ from Paddle by ~1e-6 relative here.
    tolerance = Tolerance(atol=1e-4, rtol=1e-4)

    @classmethod
    def profile(cls, config):
        """The model dir's Hpi block; else, for a fixed-size ResizeImage, that size at batch 1..8 (the
        only input size the runtime will feed); else the recipe default."""
        backends = (config.get("Hpi") or {}).get("backend_configs") or {}
        resize = _resize(_ops(config)["ResizeImage"])
        if backends or resize.size is None:
            return super().profile(config)
        size = resize.size
        w, h = (size, size) if isinstance(size, int) else size
        return {"x": ([1, 3, h, w], [1, 3, h, w], [8, 3, h, w])}

    @classmethod
    def runtime_spec(cls, config):
        ops = _ops(config)
        post = config.get("PostProcess") or {}
        if set(post) != {"NormalizeFeatures"}:
            raise CompileError(f"image feature PostProcess {sorted(post)} is not supported (NormalizeFeatures)")
        if post["NormalizeFeatures"]:
            raise CompileError(f"image feature NormalizeFeatures takes no arguments, got {post['NormalizeFeatures']!r}")
        return ImageFeatureSpec(resize=_resize(ops["ResizeImage"]), crop=None,
                                normalize=_normalize(ops["NormalizeImage"]), postprocess=NormalizeFeaturesSpec())

    @classmethod
    def sample_inputs(cls, image, spec):
        import cv2

        from hpi.runtime_min.ops.classification import preprocess

        return {"x": preprocess(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), spec)[None]}


@register_model
class FaceFeatureRecipe(ImageFeatureRecipe):
    """PaddleX's `face_feature` module: FaceFeaturePredictor is ImageFeaturePredictor with an
    optional horizontal-flip test-time augmentation that is off unless `create_model(..., flip=True)`
    asks for it (not ported: a bundle gives the unflipped embedding). Same family and runtime."""

    model_names = ("MobileFaceNet", "ResNet50_face")
    # The face embedders take 112x112 images (used only without an Hpi block or ResizeImage size).
    default_profile = {"x": ([1, 3, 112, 112], [1, 3, 112, 112], [8, 3, 112, 112])}

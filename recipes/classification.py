"""Image classification (PaddleX module `image_classification`): PP-LCNet, PP-HGNetV2, ResNet."""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.core.specs import ClasResizeSpec, CropSpec, ImageClassificationSpec, NormalizeSpec, TopkSpec
from hpi.recipes.base import ModelRecipe, Tolerance, channel_values, register_model, transform_ops
from hpi.runtime_min.ops.classification import INTERPOLATIONS
from hpi.runtime_min.ops.normalize import IMAGENET_MEAN, IMAGENET_STD, parse_scale

# The ops PaddleX's ClasPredictor builds from PreProcess.transform_ops; it applies them in this
# order whatever order inference.yml lists them in.
_KNOWN_OPS = ("ResizeImage", "CropImage", "NormalizeImage", "ToCHWImage")


def clas_ops(config: dict) -> dict[str, dict]:
    """PreProcess.transform_ops of a ClasPredictor model (image and multi-label classification)."""
    return transform_ops(config, "image classification", _KNOWN_OPS,
                         required=("ResizeImage", "NormalizeImage", "ToCHWImage"))


def clas_resize(args: dict) -> ClasResizeSpec:
    """ClasPredictor's ResizeImage."""
    if args.get("backend", "cv2") != "cv2":
        raise CompileError(f"ResizeImage backend {args['backend']!r} is not supported (cv2); the runtime "
                           "has no Pillow")
    interpolation = str(args.get("interpolation", "LINEAR")).upper()
    if interpolation not in INTERPOLATIONS:
        raise CompileError(f"ResizeImage interpolation {interpolation!r} is not supported "
                           f"({', '.join(INTERPOLATIONS)})")
    if args.get("resize_short"):
        return ClasResizeSpec(resize_short=int(args["resize_short"]), interpolation=interpolation)
    if args.get("size"):
        size = args["size"]
        return ClasResizeSpec(size=int(size) if isinstance(size, int) else [int(v) for v in size],
                              interpolation=interpolation)
    raise CompileError("ResizeImage needs resize_short or size")


def clas_normalize(args: dict) -> NormalizeSpec:
    """ClasPredictor's NormalizeImage."""
    if args.get("order", "") != "" or int(args.get("channel_num", 3)) != 3:
        raise CompileError("NormalizeImage must have order '' and channel_num 3 (as PaddleX requires)")
    return NormalizeSpec(mean=channel_values(args.get("mean", IMAGENET_MEAN)),
                         std=channel_values(args.get("std", IMAGENET_STD)),
                         scale=parse_scale(args.get("scale", 1 / 255)))


@register_model
class ImageClassificationRecipe(ModelRecipe):
    family = "image_classification"
    model_names = ("PP-LCNet_x1_0", "PP-HGNetV2-B0", "ResNet50")
    # PaddleX's Hpi block for its 224x224 classifiers (pdparams2safetensors/inference_meta.py).
    default_profile = {"x": ([1, 3, 224, 224], [1, 3, 224, 224], [8, 3, 224, 224])}
    # Softmax probabilities; PaddleX rounds scores to 5 decimals and parity asks 1e-4, so artifacts
    # must stay well inside that (converters differ from Paddle by ~1e-6 here).
    tolerance = Tolerance(atol=5e-5)

    @classmethod
    def runtime_spec(cls, config):
        ops = clas_ops(config)
        post = config.get("PostProcess") or {}
        if set(post) != {"Topk"}:
            raise CompileError(f"image classification PostProcess {sorted(post)} is not supported (Topk)")
        top = post["Topk"] or {}
        if "topk" not in top:
            raise CompileError("inference.yml PostProcess.Topk has no topk")
        labels = top.get("label_list")
        crop = ops.get("CropImage")
        return ImageClassificationSpec(
            resize=clas_resize(ops["ResizeImage"]),
            crop=CropSpec(size=crop.get("size", 224)) if crop is not None else None,
            normalize=clas_normalize(ops["NormalizeImage"]),
            postprocess=TopkSpec(topk=int(top["topk"]),
                                 label_list=[str(v) for v in labels] if labels is not None else None),
        )

    @classmethod
    def sample_inputs(cls, image, spec):
        import cv2

        from hpi.runtime_min.ops.classification import preprocess

        return {"x": preprocess(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), spec)[None]}


@register_model
class TextLineOrientationRecipe(ImageClassificationRecipe):
    """PaddleX's `textline_orientation` module: a 2-way (0 / 180 degree) image classifier that the OCR
    pipeline runs on every text line crop (`use_textline_orientation`). PaddleX lists these names in
    its image_classification module and runs them with the same ClasPredictor, so the family (and a
    bundle of the model alone) is image classification; only the default profile and the 2-class check
    differ."""

    family = "image_classification"
    model_names = ("PP-LCNet_x0_25_textline_ori", "PP-LCNet_x1_0_textline_ori")
    # PaddleX's Hpi block for these models (pdparams2safetensors/inference_meta.py, _meta_cls_textline);
    # a model dir's own Hpi block (e.g. the 48x192 v2 classifier of fetch_models) takes precedence.
    default_profile = {"x": ([1, 3, 80, 160], [1, 3, 80, 160], [8, 3, 80, 160])}

    @classmethod
    def runtime_spec(cls, config):
        spec = super().runtime_spec(config)
        labels = spec.postprocess.label_list
        if labels is not None and len(labels) != 2:
            raise CompileError(f"a text line orientation model has 2 classes (0 and 180 degrees); its "
                               f"PostProcess.Topk.label_list has {len(labels)}: {labels}")
        return spec


@register_model
class TableClassificationRecipe(ImageClassificationRecipe):
    """PaddleX's `table_classification` module: a 2-way (wired_table / wireless_table) image classifier that
    table_recognition_v2 runs on each table to choose the wired or wireless structure and cell models. PaddleX
    runs it with the same ClasPredictor as image classification (PP-LCNet_x1_0's pre-processing, Topk 5 over
    the two labels: inference_meta._meta_cls_table), so the family is image classification; the labels are
    checked, since the pipeline picks the models by label name."""

    family = "image_classification"
    model_names = ("PP-LCNet_x1_0_table_cls",)
    LABELS = ("wired_table", "wireless_table")

    @classmethod
    def runtime_spec(cls, config):
        spec = super().runtime_spec(config)
        labels = spec.postprocess.label_list
        if labels is None or sorted(labels) != sorted(cls.LABELS):
            raise CompileError(f"a table classification model has the labels {', '.join(cls.LABELS)} (the "
                               f"table_recognition_v2 pipeline picks its models by them); its "
                               f"PostProcess.Topk.label_list is {labels}")
        return spec


@register_model
class DocOrientationRecipe(ImageClassificationRecipe):
    """PaddleX's `doc_text_orientation` module: a 4-way (0 / 90 / 180 / 270 degree) image classifier
    that the OCR pipeline's document preprocessor runs on the whole image
    (`SubPipelines.DocPreprocessor.use_doc_orientation_classify`). PaddleX runs it with the same
    ClasPredictor as image classification, so the family (and a bundle of the model alone) is image
    classification; the pipeline turns the image by `int(label_names[0])` degrees, so every label must
    be an angle in [0, 360)."""

    family = "image_classification"
    model_names = ("PP-LCNet_x1_0_doc_ori",)

    @classmethod
    def runtime_spec(cls, config):
        spec = super().runtime_spec(config)
        labels = spec.postprocess.label_list
        if labels is None or len(labels) != 4:
            raise CompileError(f"a document orientation model has 4 classes (0, 90, 180 and 270 degrees); its "
                               f"PostProcess.Topk.label_list is {labels}")
        for label in labels:
            try:
                ok = 0 <= int(label) < 360
            except ValueError:
                ok = False
            if not ok:
                raise CompileError(f"document orientation labels must be angles in [0, 360) (PaddleX turns the "
                                   f"image by int(label)); got {labels}")
        return spec

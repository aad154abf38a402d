"""Small object detection: PaddleX's `small_object_detection` module (PP-YOLOE_plus_SOD-S / -L / -largesize-L, PP-YOLOE+
with a transformer in the neck, trained on VisDrone) and its pipeline of the same name
(pipelines/small_object_detection/pipeline.py).

The models are run by the same DetPredictor as the other detectors, so their family is object detection's (a single
model's bundle is an object_detection bundle); their exports fuse the normalisation into the model (PaddleDetection's `fuse_normalize`), so
inference.yml lists only Resize and Permute. The pipeline holds one SubModules.SmallObjectDetection, whose bundle
runs like the single model's (role `model`). PaddleX 3.7.2 reads that module's `threshold` but never passes it on:
`predict()` hands the model its per-call threshold, None unless given, and the model then uses inference.yml's
draw_threshold. The bundle does the same (the key is accepted and, as in PaddleX, has no effect).
"""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.recipes.base import PipelineRecipe, register_model, register_pipeline
from hpi.recipes.detection import ObjectDetectionRecipe, hpi_defaults
from hpi.recipes.seal import _MODULE, check_keys

NAME = "small_object_detection"
_KNOWN_KEYS = {"": ("pipeline_name", "batch_size", "SubModules"), "SubModules": ("SmallObjectDetection",),
               "SubModules.SmallObjectDetection": (*_MODULE, "threshold")}


@register_model
class SmallObjectDetectionRecipe(ObjectDetectionRecipe):
    model_names = ("PP-YOLOE_plus_SOD-S", "PP-YOLOE_plus_SOD-L")
    default_profile, default_profile_input_data = hpi_defaults(640, 640, im_shape=False)


@register_model
class SmallObjectDetectionLargeRecipe(SmallObjectDetectionRecipe):
    """The large-size model reads 1920 x 1920 (its TestReader's eval_size)."""

    model_names = ("PP-YOLOE_plus_SOD-largesize-L",)
    default_profile, default_profile_input_data = hpi_defaults(1920, 1920, im_shape=False)


@register_pipeline
class SmallObjectDetectionPipelineRecipe(PipelineRecipe):
    name = NAME
    modules = {"SmallObjectDetection": "model"}

    @classmethod
    def modules_for(cls, config):
        check_keys(config, _KNOWN_KEYS, NAME)
        if not (config.get("SubModules") or {}).get("SmallObjectDetection"):
            raise CompileError("a small_object_detection config needs SubModules.SmallObjectDetection (model_name, "
                               "model_dir; e.g. PP-YOLOE_plus_SOD-L)")
        return dict(cls.modules)

    @classmethod
    def params(cls, config, models):
        if "label_list" not in (models["model"].get("postprocess") or {}) or "feeds" not in models["model"]:
            raise CompileError("small_object_detection SubModules.SmallObjectDetection must be a detection model "
                               "(e.g. PP-YOLOE_plus_SOD-L)")
        return {}

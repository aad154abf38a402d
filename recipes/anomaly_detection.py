"""Image anomaly detection (PaddleX module `anomaly_detection`): STFPM.

PaddleX's UadPredictor takes its pre-processing from inference.yml's `Deploy.transforms`, like
segmentation, and thresholds the model's anomaly map into a mask (runtime_min/ops/anomaly.py).
"""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.core.specs import AnomalyDetectionSpec
from hpi.recipes.base import ModelRecipe, Tolerance, register_model
from hpi.recipes.segmentation import deploy_transforms, seg_normalize, seg_resize

# UadPredictor's registered transforms and their builders' arguments; it always runs Resize then
# Normalize (both required) and ignores a listed Map_to_mask (its post-processing is fixed).
_TRANSFORM_ARGS = {
    "Resize": ("target_size", "keep_ratio", "size_divisor", "interp"),
    "Normalize": ("mean", "std"),
    "Map_to_mask": ("mask_map",),
}


@register_model
class AnomalyDetectionRecipe(ModelRecipe):
    family = "anomaly_detection"
    model_names = ("STFPM",)
    # PaddleX's STFPM runs at 256x256 (its Resize target_size).
    default_profile = {"x": ([1, 3, 256, 256], [1, 3, 256, 256], [1, 3, 256, 256])}
    # The anomaly map is cut at a fixed 0.01; 1e-6 keeps a converted map's crossings of it within
    # float noise of Paddle's (measured on the fixture STFPM: at most 6e-8).
    tolerance = Tolerance(atol=1e-6)

    @classmethod
    def runtime_spec(cls, config):
        transforms = deploy_transforms(config, _TRANSFORM_ARGS, "anomaly detection", ("Resize", "Normalize"))
        if not transforms["Resize"].get("target_size"):
            raise CompileError("anomaly detection Resize needs a target_size")
        # UadPredictor's Resize defaults differ from SegPredictor's: no ratio kept, no divisor.
        return AnomalyDetectionSpec(resize=seg_resize(transforms["Resize"], keep_ratio=False, size_divisor=None),
                                    normalize=seg_normalize(transforms["Normalize"]))

    @classmethod
    def sample_inputs(cls, image, spec):
        import cv2

        from hpi.runtime_min.ops.segmentation import preprocess

        return {"x": preprocess(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), spec)[None]}

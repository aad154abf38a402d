"""Image anomaly detection (PaddleX module `anomaly_detection`): STFPM.

PaddleX's UadPredictor takes its pre-processing from inference.yml's `Deploy.transforms`, like
segmentation, and thresholds the model's anomaly map into a mask (runtime_min/ops/anomaly.py).
"""

from __future__ import annotations

from hpi.recipes.base import ModelRecipe, Tolerance, register_model
from hpi.recipes.segmentation import _channels, _size
from hpi.runtime_min.errors import CompileError
from hpi.runtime_min.ops.classification import INTERPOLATIONS

# UadPredictor's registered transforms and their builders' arguments; it always runs Resize then
# Normalize (both required) and ignores a listed Map_to_mask (its post-processing is fixed).
_TRANSFORM_ARGS = {
    "Resize": ("target_size", "keep_ratio", "size_divisor", "interp"),
    "Normalize": ("mean", "std"),
    "Map_to_mask": ("mask_map",),
}


def _transforms(config: dict) -> dict:
    transforms = {}
    for item in (config.get("Deploy") or {}).get("transforms") or []:
        args = dict(item or {})
        name = args.pop("type", None)
        if name not in _TRANSFORM_ARGS:
            raise CompileError(f"anomaly detection Deploy.transforms op {name!r} is not supported "
                               f"({', '.join(_TRANSFORM_ARGS)})")
        unknown = sorted(set(args) - set(_TRANSFORM_ARGS[name]))
        if unknown:
            raise CompileError(f"anomaly detection transform {name} has unknown arguments {unknown} "
                               f"(PaddleX takes {', '.join(_TRANSFORM_ARGS[name])})")
        transforms[name] = args
    for required in ("Resize", "Normalize"):
        if required not in transforms:
            raise CompileError(f"inference.yml of an anomaly detection model has no {required} in Deploy.transforms")
    if not transforms["Resize"].get("target_size"):
        raise CompileError("anomaly detection Resize needs a target_size")
    return transforms


@register_model
class AnomalyDetection(ModelRecipe):
    family = "anomaly_detection"
    model_names = ("STFPM",)
    # PaddleX's STFPM runs at 256x256 (its Resize target_size).
    default_profile = {"x": ([1, 3, 256, 256], [1, 3, 256, 256], [1, 3, 256, 256])}
    # The anomaly map is cut at a fixed 0.01; 1e-6 keeps a converted map's crossings of it within
    # float noise of Paddle's (measured on the fixture STFPM: at most 6e-8).
    tolerance = Tolerance(atol=1e-6)

    @classmethod
    def runtime_spec(cls, config):
        transforms = _transforms(config)
        resize, normalize = transforms["Resize"], transforms["Normalize"]
        interpolation = str(resize.get("interp", "LINEAR")).upper()
        if interpolation not in INTERPOLATIONS:
            raise CompileError(f"Resize interp {interpolation!r} is not supported ({', '.join(INTERPOLATIONS)})")
        divisor = resize.get("size_divisor")
        if divisor is not None and not isinstance(divisor, int):
            raise CompileError(f"Resize size_divisor must be an int or null, got {divisor!r}")
        return {
            "resize": {"target_size": _size(resize["target_size"], "Resize target_size"),
                       "keep_ratio": bool(resize.get("keep_ratio", False)), "size_divisor": divisor,
                       "interpolation": interpolation},
            "normalize": {"mean": _channels(normalize.get("mean", 0.5), "mean"),
                          "std": _channels(normalize.get("std", 0.5), "std"), "scale": 1 / 255},
        }

    @classmethod
    def sample_inputs(cls, image, spec):
        import cv2

        from hpi.runtime_min.ops.segmentation import preprocess

        return {"x": preprocess(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), spec)[None]}

"""PaddleX 3.7.2's pedestrian_attribute_recognition and vehicle_attribute_recognition pipelines
(pipelines/attribute_recognition/pipeline.py).

SubModules.Detection (an object detector, PP-YOLOE-L_human / PP-YOLOE-L_vehicle) finds the people or vehicles;
each box is cropped (CropByBoxes) and SubModules.Classification (a multi-label classifier,
PP-LCNet_x1_0_pedestrian_attribute / _vehicle_attribute) names its attributes. PaddleX reads each module's
`threshold` (defaults 0.5 and 0.7) and passes it to the model on every call; the classifier's batch_size groups the
crops, which matters to the thresholds (MultiLabelThreshOutput zips the rows of a batch with the per-class
thresholds, ops/multilabel.py), so it is kept too. Every other key is refused by name.
"""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.recipes.base import PipelineRecipe, register_pipeline
from hpi.recipes.detection import threshold_value
from hpi.recipes.seal import _MODULE, check_keys
from hpi.runtime_min.ops.multilabel import class_thresholds

_KNOWN_KEYS = {
    "": ("pipeline_name", "batch_size", "SubModules"),
    "SubModules": ("Detection", "Classification"),
    "SubModules.Detection": (*_MODULE, "threshold"),
    "SubModules.Classification": (*_MODULE, "threshold"),
}


def _batch_size(module: dict, where: str) -> int:
    batch = module.get("batch_size", 1)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise CompileError(f"{where}.batch_size must be a positive integer, got {batch!r}")
    return batch


class _AttributeRecognitionRecipe(PipelineRecipe):
    modules = {"Detection": "det", "Classification": "cls"}

    @classmethod
    def modules_for(cls, config):
        check_keys(config, _KNOWN_KEYS, cls.name)
        for key in cls.modules:
            if not (config.get("SubModules") or {}).get(key):
                raise CompileError(f"a {cls.name} config needs SubModules.{key} (model_name, model_dir)")
        return dict(cls.modules)

    @classmethod
    def params(cls, config, models):
        det, clas = config["SubModules"]["Detection"], config["SubModules"]["Classification"]
        if "label_list" not in (models["det"].get("postprocess") or {}) or "feeds" not in models["det"]:
            raise CompileError(f"{cls.name} SubModules.Detection must be an object detection model "
                               f"(e.g. PP-YOLOE-L_human)")
        labels = (models["cls"].get("postprocess") or {}).get("label_list")
        if "thresholds" not in (models["cls"].get("postprocess") or {}):
            raise CompileError(f"{cls.name} SubModules.Classification must be a multi-label classification model "
                               f"(e.g. PP-LCNet_x1_0_pedestrian_attribute)")
        cls_threshold = clas.get("threshold", 0.7)
        try:
            class_thresholds(cls_threshold, len(labels))
        except ValueError as exc:
            raise CompileError(f"{cls.name} SubModules.Classification.threshold: {exc}") from None
        _batch_size(det, "SubModules.Detection")
        return {"det_threshold": threshold_value(det.get("threshold", 0.5), "SubModules.Detection.threshold"),
                "cls_threshold": cls_threshold,
                "cls_batch_size": _batch_size(clas, "SubModules.Classification")}


@register_pipeline
class PedestrianAttributePipelineRecipe(_AttributeRecognitionRecipe):
    name = "pedestrian_attribute_recognition"


@register_pipeline
class VehicleAttributePipelineRecipe(_AttributeRecognitionRecipe):
    name = "vehicle_attribute_recognition"

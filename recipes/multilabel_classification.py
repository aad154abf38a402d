"""Multi-label image classification (PaddleX module `multilabel_classification`): PP-LCNet_x1_0_ML, ...

Same PreProcess as image classification (PaddleX's MLClasPredictor is a ClasPredictor), with
`MultiLabelThreshOutput` (sigmoid scores above a threshold) instead of Topk.
"""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.core.specs import MultiLabelClassificationSpec, MultiLabelThreshOutputSpec
from hpi.recipes.base import ModelRecipe, Tolerance, register_model
from hpi.recipes.classification import clas_normalize, clas_ops, clas_resize
from hpi.runtime_min.ops.multilabel import class_thresholds


@register_model
class MultiLabelClassificationRecipe(ModelRecipe):
    family = "multilabel_classification"
    model_names = ("PP-LCNet_x1_0_ML", "PP-HGNetV2-B0_ML", "PP-HGNetV2-B4_ML", "PP-HGNetV2-B6_ML", "ResNet50_ML")
    # PaddleX's multi-label models run at 448x448 (their ResizeImage size).
    default_profile = {"x": ([1, 3, 448, 448], [1, 3, 448, 448], [8, 3, 448, 448])}
    # Sigmoid scores; PaddleX rounds them to 5 decimals and parity asks 1e-4 (as for Topk).
    tolerance = Tolerance(atol=5e-5)

    @classmethod
    def runtime_spec(cls, config):
        ops = clas_ops(config)
        post = config.get("PostProcess") or {}
        if set(post) != {"MultiLabelThreshOutput"}:
            raise CompileError(f"multi-label classification PostProcess {sorted(post)} is not supported "
                               "(MultiLabelThreshOutput)")
        thresh = post["MultiLabelThreshOutput"] or {}
        labels = thresh.get("label_list")
        if not labels:
            # PaddleX names every kept class from this list (a KeyError without it).
            raise CompileError("inference.yml PostProcess.MultiLabelThreshOutput has no label_list")
        if "threshold" not in thresh:
            raise CompileError("inference.yml PostProcess.MultiLabelThreshOutput has no threshold")
        try:
            thresholds = class_thresholds(thresh["threshold"], len(labels))
        except ValueError as exc:
            raise CompileError(f"inference.yml PostProcess.MultiLabelThreshOutput: {exc}") from None
        return MultiLabelClassificationSpec(
            resize=clas_resize(ops["ResizeImage"]),
            crop=None,  # MLClasPredictor.process never runs CropImage
            normalize=clas_normalize(ops["NormalizeImage"]),
            postprocess=MultiLabelThreshOutputSpec(thresholds=thresholds, label_list=[str(v) for v in labels]),
        )

    @classmethod
    def sample_inputs(cls, image, spec):
        import cv2

        from hpi.runtime_min.ops.classification import preprocess

        return {"x": preprocess(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), spec)[None]}


@register_model
class PedestrianAttributeRecipe(MultiLabelClassificationRecipe):
    """pedestrian_attribute_recognition's classifier: PaddleClas's PPLCNet_x1_0 on 192 x 256 (w x h) person crops,
    26 attributes, the same MLClasPredictor and MultiLabelThreshOutput (PaddleX runs no PersonAttribute op)."""

    model_names = ("PP-LCNet_x1_0_pedestrian_attribute",)
    default_profile = {"x": ([1, 3, 256, 192], [1, 3, 256, 192], [8, 3, 256, 192])}


@register_model
class VehicleAttributeRecipe(MultiLabelClassificationRecipe):
    """vehicle_attribute_recognition's classifier: PPLCNet_x1_0 on 256 x 192 (w x h) vehicle crops, 19 attributes
    (10 colours, 9 types)."""

    model_names = ("PP-LCNet_x1_0_vehicle_attribute",)
    default_profile = {"x": ([1, 3, 192, 256], [1, 3, 192, 256], [8, 3, 192, 256])}

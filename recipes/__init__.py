"""Recipes: what the compiler needs to know about each PaddleX model family and pipeline, as data.

A model recipe (`…Recipe`) is a small class registered with `@register_model`: the model names it
accepts, its default shape profile, verification tolerances, and how an `inference.yml` becomes its
family's spec (a record of hpi.core.specs, which the runtime's runners read). A pipeline recipe maps
a PaddleX pipeline config's `SubModules` to model roles and resolves the pipeline's parameters.
"""

from hpi.recipes.base import ModelRecipe, PipelineRecipe, Tolerance, model_recipe_for, pipeline_recipe_for
from hpi.recipes import ocr as _ocr  # noqa: F401  (registers the OCR family recipes)
from hpi.recipes import classification as _classification  # noqa: F401  (image classification)
from hpi.recipes import segmentation as _segmentation  # noqa: F401  (semantic segmentation)
from hpi.recipes import multilabel_classification as _multilabel  # noqa: F401  (multi-label classification)
from hpi.recipes import anomaly_detection as _anomaly  # noqa: F401  (image anomaly detection)
from hpi.recipes import detection as _detection  # noqa: F401  (object and layout detection)
from hpi.recipes import small_object_detection as _small_object_detection  # noqa: F401  (PP-YOLOE_plus_SOD)
from hpi.recipes import attribute_recognition as _attribute_recognition  # noqa: F401  (pedestrian / vehicle)
from hpi.recipes import instance_segmentation as _instance_segmentation  # noqa: F401  (Mask-RT-DETR)
from hpi.recipes import image_feature as _image_feature  # noqa: F401  (image and face feature embeddings)
from hpi.recipes import seal as _seal  # noqa: F401  (seal text detection, seal_recognition)
from hpi.recipes import image_unwarping as _image_unwarping  # noqa: F401  (UVDoc document unwarping)
from hpi.recipes import doc_preprocessor as _doc_preprocessor  # noqa: F401  (the doc_preprocessor pipeline)
from hpi.recipes import table_structure as _table_structure  # noqa: F401  (SLANet table structure)
from hpi.recipes import table_recognition as _table_recognition  # noqa: F401  (table_recognition)
from hpi.recipes import table_recognition_v2 as _table_recognition_v2  # noqa: F401  (table_recognition_v2)
from hpi.recipes import formula_recognition as _formula_recognition  # noqa: F401  (PP-FormulaNet)
from hpi.recipes import formula_pipeline as _formula_pipeline  # noqa: F401  (the formula_recognition pipeline)
from hpi.recipes import pp_structure_v3 as _pp_structure_v3  # noqa: F401  (PP-StructureV3, layout_parsing v2)
from hpi.recipes import time_series as _time_series  # noqa: F401  (ts_forecast, ts_anomaly_detection)
from hpi.recipes import retrieval as _retrieval  # noqa: F401  (PP-ShiTuV2, face_recognition)

__all__ = ["ModelRecipe", "PipelineRecipe", "Tolerance", "model_recipe_for", "pipeline_recipe_for"]

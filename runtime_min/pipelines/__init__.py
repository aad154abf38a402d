"""Pipelines the runtime can run, by the manifest's `pipeline.name`; each imported only when used.

A pipeline module exposes `build(name, models, params) -> Runner`, where `models` maps the manifest's
model roles to loaded models (callables: input array → first output) and a Runner has
`predict_one(image) -> dict`, `to_json(data, input_path) -> dict` (PaddleX's JSON form) and
`save_visualization(data, image, path, fonts=None)` (`fonts`: a fonts.FontChooser, used by the
pipelines whose pictures show recognized texts). A runner that takes PaddleX's per-call `predict()`
parameters also has `with_params(**params) -> Runner` (UsageError for a bad one); the others take none.
"""

from __future__ import annotations

import importlib

from hpi.core.errors import BundleError

_REGISTRY = {
    "OCR": "hpi.runtime_min.pipelines.ocr",
    "seal_recognition": "hpi.runtime_min.pipelines.seal",
    "table_recognition": "hpi.runtime_min.pipelines.table_recognition",
    "table_recognition_v2": "hpi.runtime_min.pipelines.table_recognition_v2",
    "PP-StructureV3": "hpi.runtime_min.pipelines.pp_structure_v3",
    "text_detection": "hpi.runtime_min.pipelines.single",
    "text_recognition": "hpi.runtime_min.pipelines.single",
    "image_classification": "hpi.runtime_min.pipelines.classification",
    "semantic_segmentation": "hpi.runtime_min.pipelines.segmentation",
    "multilabel_classification": "hpi.runtime_min.pipelines.multilabel_classification",
    "anomaly_detection": "hpi.runtime_min.pipelines.anomaly_detection",
    "object_detection": "hpi.runtime_min.pipelines.detection",
    "layout_detection": "hpi.runtime_min.pipelines.detection",
    "small_object_detection": "hpi.runtime_min.pipelines.detection",
    "pedestrian_attribute_recognition": "hpi.runtime_min.pipelines.attribute_recognition",
    "vehicle_attribute_recognition": "hpi.runtime_min.pipelines.attribute_recognition",
    "instance_segmentation": "hpi.runtime_min.pipelines.instance_segmentation",
    "image_feature": "hpi.runtime_min.pipelines.image_feature",
    "image_unwarping": "hpi.runtime_min.pipelines.image_unwarping",
    "doc_preprocessor": "hpi.runtime_min.pipelines.doc_preprocessor",
    "table_structure_recognition": "hpi.runtime_min.pipelines.table_structure",
    # the single formula model's bundles and the formula_recognition pipeline's (told apart by their roles)
    "formula_recognition": "hpi.runtime_min.pipelines.formula_pipeline",
    "ts_forecast": "hpi.runtime_min.pipelines.time_series",
    "ts_anomaly_detection": "hpi.runtime_min.pipelines.time_series",
    # PaddleX's retrieval pipelines: detection, an embedding per box, its faiss index (given per call)
    "PP-ShiTuV2": "hpi.runtime_min.pipelines.retrieval",
    "face_recognition": "hpi.runtime_min.pipelines.retrieval",
}


def prepare(name: str):
    """The pipeline's module, imported (with what it needs, e.g. OpenCV); BundleError for an unknown one."""
    if name not in _REGISTRY:
        raise BundleError(f"bundle pipeline {name!r} is not supported by this runtime; supported: "
                          f"{', '.join(_REGISTRY)}; upgrade hpi")
    return importlib.import_module(_REGISTRY[name])


def build(name: str, models: dict, params: dict):
    return prepare(name).build(name, models, params)

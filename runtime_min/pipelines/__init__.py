"""Pipelines the runtime can run, by the manifest's `pipeline.name`; each imported only when used.

A pipeline module exposes `build(models, params) -> Runner`, where `models` maps the manifest's model
keys to loaded models and a Runner has `predict(image) -> dict` (PaddleX's JSON fields) and
`visualize(image, result_dict) -> np.ndarray`.
"""

from __future__ import annotations

import importlib

from hpi.runtime_min.errors import BundleError

_REGISTRY = {
    "OCR": "hpi.runtime_min.pipelines.ocr",
    "text_detection": "hpi.runtime_min.pipelines.single",
    "text_recognition": "hpi.runtime_min.pipelines.single",
}


def build(name: str, models: dict, params: dict):
    if name not in _REGISTRY:
        raise BundleError(f"bundle pipeline {name!r} is not supported by this runtime; supported: "
                          f"{', '.join(_REGISTRY)}; upgrade hpi")
    return importlib.import_module(_REGISTRY[name]).build(name, models, params)

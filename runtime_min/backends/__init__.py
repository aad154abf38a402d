"""Inference backends, registered in one place and imported only when chosen.

A backend turns one artifact of a bundle (its member bytes) into a `Session`. Adding a backend is a
module with a `Backend` subclass and one line in `_REGISTRY`.
"""

from __future__ import annotations

import importlib

from hpi.runtime_min.backends.base import Backend, Session
from hpi.core.errors import BackendUnavailable

# name → "module:Class"; order is the runtime's CPU default when the manifest states none.
_REGISTRY = {
    "openvino": "hpi.runtime_min.backends.openvino:OpenVinoBackend",
    "onnxruntime": "hpi.runtime_min.backends.onnxruntime:OnnxRuntimeBackend",
    "tensorrt": "hpi.runtime_min.backends.tensorrt:TensorRtBackend",
    "torch_cuda": "hpi.runtime_min.backends.torch_cuda:TorchCudaBackend",
}


def names() -> list[str]:
    return list(_REGISTRY)


def get(name: str) -> type[Backend]:
    if name not in _REGISTRY:
        raise BackendUnavailable(f"unknown backend {name!r}; available: {', '.join(_REGISTRY)}")
    module, cls = _REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls)


__all__ = ["Backend", "Session", "get", "names"]

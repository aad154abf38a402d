"""ONNX Runtime backend, loading the ONNX model from memory: CPU, or CUDA for a `gpu_*` artifact.

On CUDA the artifact's config is the whole story (written by the compiler, compiler/gpu.py; provider
options can be overridden with $HPI_ORT_CUDA_OPTIONS='{"use_tf32": 1}'):
- `cudnn_conv_algo_search` HEURISTIC. ONNX Runtime's cuDNN-frontend convolutions rebuild their plans
  whenever a node's input shape differs from its previous call's, and OCR's shapes change with every
  image and batch: EXHAUSTIVE then re-benchmarks on nearly every call (1.0-1.4 s per image measured
  on an H100, even with one session per shape), DEFAULT is cuDNN's slow fallback, and padding shapes
  to buckets changes PP-OCRv4's texts. Measured figures: docs/targets.md;
- `use_tf32` 0 for fp32 artifacts, so results match the CPU bundle's;
- `warmup`: the profile's opt shapes run once at load;
- inputs and outputs go through IO binding (one copy each way).
"""

from __future__ import annotations

import json
import os

import numpy as np

from hpi.runtime_min.backends.base import Backend, Session
from hpi.core.errors import BackendUnavailable

# The CUDA provider options above; the compiler writes them into each gpu_* artifact (compiler/gpu.py).
CUDA_PROVIDER_OPTIONS = {"cudnn_conv_algo_search": "HEURISTIC", "use_tf32": 0}


class _OrtSession(Session):
    def __init__(self, session):
        self._session = session
        self.input_names = [i.name for i in session.get_inputs()]
        self.output_names = [o.name for o in session.get_outputs()]

    def run(self, feeds):
        return self._session.run(None, feeds)

    def close(self):
        self._session = None  # ONNX Runtime frees the session (and its CUDA arena) when released


class _OrtCudaSession(_OrtSession):
    def run(self, feeds):
        binding = self._session.io_binding()
        for name, array in feeds.items():
            binding.bind_cpu_input(name, np.ascontiguousarray(array))
        for name in self.output_names:
            binding.bind_output(name, "cpu")
        self._session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()


def _cuda_options(config: dict) -> dict:
    options = {**CUDA_PROVIDER_OPTIONS, **config.get("provider_options", {})}
    override = os.environ.get("HPI_ORT_CUDA_OPTIONS")
    if override:
        try:
            options.update(json.loads(override))
        except json.JSONDecodeError as exc:
            raise BackendUnavailable(f"$HPI_ORT_CUDA_OPTIONS is not a JSON object: {exc}") from None
    return {k: str(v) for k, v in options.items()}


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"
    artifact_format = "onnx"
    python_module = "onnxruntime"
    install_hint = "pip install 'hpi-aot[onnxruntime]' (CPU) or 'hpi-aot[gpu]' (onnxruntime-gpu, CUDA)"

    @classmethod
    def unavailable_on(cls, device: str) -> str | None:
        reason = super().unavailable_on(device)
        if reason or device == "cpu":
            return reason
        import onnxruntime as ort

        if "CUDAExecutionProvider" not in ort.get_available_providers():
            return (f"onnxruntime {ort.__version__} has no CUDA execution provider "
                    "(install onnxruntime-gpu instead of onnxruntime)")
        return None

    @classmethod
    def load(cls, files, config, num_threads):
        ort = cls.require()

        options = ort.SessionOptions()
        options.log_severity_level = 3
        if num_threads:
            options.intra_op_num_threads = num_threads
            options.inter_op_num_threads = 1
        if config.get("execution_provider") != "cuda":
            session = ort.InferenceSession(bytes(files["model"]), options, providers=["CPUExecutionProvider"])
            return _OrtSession(session)
        if hasattr(ort, "preload_dlls"):  # CUDA and cuDNN from the nvidia-* wheels, when they are there
            ort.preload_dlls()
        session = ort.InferenceSession(bytes(files["model"]), options,
                                       providers=[("CUDAExecutionProvider", _cuda_options(config)),
                                                  "CPUExecutionProvider"])
        if session.get_providers()[0] != "CUDAExecutionProvider":
            # ONNX Runtime falls back to CPU silently when CUDA cannot start: say it instead.
            raise BackendUnavailable("onnxruntime could not start its CUDA execution provider (no GPU, or "
                                     "CUDA/cuDNN libraries missing); run with --device cpu")
        loaded = _OrtCudaSession(session)
        for shapes in config.get("warmup", []):
            loaded.run({name: np.zeros(shape, np.float32) for name, shape in shapes.items()})
        return loaded

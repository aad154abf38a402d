"""Deployment targets: what `hpi-compile --target` accepts and what the runtime looks for.

A target names a class of machine. `cpu` artifacts are ONNX and OpenVINO IR. A `gpu_*` target adds, for
each model, the verified ONNX for ONNX Runtime's CUDA execution provider (it runs with any
onnxruntime-gpu build), the same ONNX with affine chains folded for PyTorch (torch_cuda, first where
torch is installed) and TensorRT engines, which TensorRT ties to its own version, so the target
names the CUDA generation (and hence the TensorRT series) its engines are built for.
`gpu_cuda118_cudnn86` is PaddleX's name for its CUDA 11.8 / cuDNN 8.6 / TensorRT 8.6 builds.
"""

from __future__ import annotations

from dataclasses import dataclass

from hpi.core.errors import UsageError


@dataclass(frozen=True)
class Target:
    name: str
    device: str  # "cpu" or "gpu"
    backends: tuple[str, ...]  # the runtime's preference on this target
    tensorrt: str | None = None  # TensorRT major.minor series its engines are built with

    @property
    def is_gpu(self) -> bool:
        return self.device == "gpu"


TARGETS = {t.name: t for t in (
    Target("cpu", "cpu", ("openvino", "onnxruntime")),
    Target("gpu_cuda118_cudnn86", "gpu", ("torch_cuda", "tensorrt", "onnxruntime"), tensorrt="8.6"),
    Target("gpu_cuda12", "gpu", ("torch_cuda", "tensorrt", "onnxruntime"), tensorrt="10"),
    Target("gpu_cuda13", "gpu", ("torch_cuda", "tensorrt", "onnxruntime"), tensorrt="10"),
)}


def target(name: str) -> Target:
    if name not in TARGETS:
        raise UsageError(f"unknown target {name!r}; supported: {', '.join(TARGETS)}")
    return TARGETS[name]

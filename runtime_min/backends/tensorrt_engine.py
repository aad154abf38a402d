"""Building and keying TensorRT engines; used by the compiler (prebuilt engines) and by the runtime
(engines built on the deployment GPU at first run, when a bundle was compiled with `--tensorrt
on-first-run`). Building needs full TensorRT; keying and precision decisions need nothing.

An engine is valid only for the TensorRT version that built it (unless built version-compatible), the
GPU's compute capability, its precision and its optimization profile, so those make its key: a change of
any of them misses the cache instead of silently reusing a stale engine (PaddleX asks users to delete
cache folders by hand after changing `trt_dynamic_shapes`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hpi.core.files import write_atomic

# Tried in this order, per model: fp16 everywhere, then fp16 with the layers whose fp16 range or
# accumulation is known to break (softmax, reductions, normalisations, exp/log/sqrt) kept in fp32, then
# fp32. The first that reproduces the reference within the recipe's tolerance is kept.
PRECISIONS = ("fp16", "fp16_mixed", "fp32")
FP32_LAYER_TYPES = ("SOFTMAX", "REDUCE", "NORMALIZATION", "UNARY", "TOPK")

Profile = dict[str, dict[str, list[int]]]  # input → {"min": shape, "opt": shape, "max": shape}


def profile_from_shapes(profile: dict[str, tuple[list[int], list[int], list[int]]]) -> Profile:
    """The recipe's (min, opt, max) triples as one TensorRT optimization profile."""
    out = {}
    for name, (lo, opt, hi) in sorted(profile.items()):
        if not (len(lo) == len(opt) == len(hi)) or any(not a <= b <= c for a, b, c in zip(lo, opt, hi)):
            raise ValueError(f"shape profile of {name!r} must satisfy min <= opt <= max per dimension, "
                             f"got {lo} / {opt} / {hi}")
        out[name] = {"min": list(lo), "opt": list(opt), "max": list(hi)}
    return out


@dataclass(frozen=True)
class EngineKey:
    onnx_sha256: str
    tensorrt_version: str
    compute_capability: str
    precision: str
    profile: str  # canonical JSON of the Profile
    version_compatible: bool = False

    @classmethod
    def of(cls, onnx: bytes, tensorrt_version: str, compute_capability: str, precision: str, profile: Profile,
           version_compatible: bool = False) -> "EngineKey":
        if precision not in PRECISIONS:
            raise ValueError(f"unknown TensorRT precision {precision!r}; known: {', '.join(PRECISIONS)}")
        return cls(hashlib.sha256(onnx).hexdigest(), tensorrt_version, compute_capability, precision,
                   json.dumps(profile, sort_keys=True, separators=(",", ":")), version_compatible)

    @property
    def digest(self) -> str:
        fields = [self.onnx_sha256, self.tensorrt_version, self.compute_capability, self.precision, self.profile,
                  str(self.version_compatible)]
        return hashlib.sha256("\n".join(fields).encode()).hexdigest()

    def to_dict(self) -> dict:
        return {"tensorrt_version": self.tensorrt_version, "compute_capability": self.compute_capability,
                "precision": self.precision, "profile": json.loads(self.profile),
                "version_compatible": self.version_compatible, "key": self.digest}


def runs_here(built_with: str, installed: str, version_compatible: bool) -> bool:
    """Whether an engine built by TensorRT `built_with` deserializes on `installed`."""
    built, have = [tuple(int(p) for p in v.split(".")[:3]) for v in (built_with, installed)]
    if version_compatible:  # same major, runtime not older (TensorRT's version-compatibility rule)
        return have[0] == built[0] and have >= built
    return have == built


def first_verified(precisions, build_and_verify: Callable[[str], str | None]) -> tuple[str, list[str]]:
    """The first precision whose engine passes `build_and_verify` (None = passed, else the reason),
    and the rejected ones with their reasons; ValueError when none passes."""
    rejected = []
    for precision in precisions:
        failure = build_and_verify(precision)
        if failure is None:
            return precision, rejected
        rejected.append(f"{precision}: {failure}")
    raise ValueError("no TensorRT precision reproduced the reference: " + " | ".join(rejected))


def cache_dir() -> Path:
    return Path(os.environ.get("HPI_ENGINE_CACHE") or Path.home() / ".cache" / "hpi" / "tensorrt")


def compute_capability() -> str:
    """Compute capability of GPU 0, e.g. "9.0" on an H100."""
    try:
        from cuda.bindings import runtime as cudart
    except ImportError:  # cuda-python < 12.6
        from cuda import cudart
    err, props = cudart.cudaGetDeviceProperties(0)
    if int(err) != 0:
        raise RuntimeError(f"cudaGetDeviceProperties failed: {err}")
    return f"{props.major}.{props.minor}"


def build_engine(onnx: bytes, profile: Profile, precision: str, version_compatible: bool = False,
                 workspace_bytes: int = 4 << 30) -> bytes:
    """A serialized engine (plan) for `onnx` with one optimization profile, through the TensorRT
    Python API; the timing cache in cache_dir() is reused and updated, so rebuilds take seconds."""
    import tensorrt as trt

    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)  # explicit batch is the only mode since TensorRT 10
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RuntimeError(f"TensorRT's ONNX parser refused the model: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, workspace_bytes)
    trt_profile = builder.create_optimization_profile()
    for name, shapes in profile.items():
        trt_profile.set_shape(name, shapes["min"], shapes["opt"], shapes["max"])
    config.add_optimization_profile(trt_profile)
    if precision != "fp32":
        config.set_flag(trt.BuilderFlag.FP16)
    if precision == "fp16_mixed":
        config.set_flag(trt.BuilderFlag.OBEY_PRECISION_CONSTRAINTS)
        kept = {getattr(trt.LayerType, t) for t in FP32_LAYER_TYPES}
        for i in range(network.num_layers):
            layer = network.get_layer(i)
            if layer.type in kept:
                layer.precision = trt.float32
                for j in range(layer.num_outputs):
                    if layer.get_output(j).dtype in (trt.float32, trt.float16):  # not TopK's indices
                        layer.set_output_type(j, trt.float32)
    if version_compatible:
        config.set_flag(trt.BuilderFlag.VERSION_COMPATIBLE)
    timing_file = cache_dir() / f"timing-{trt.__version__}-{compute_capability()}.cache"
    timing = config.create_timing_cache(timing_file.read_bytes() if timing_file.exists() else b"")
    config.set_timing_cache(timing, ignore_mismatch=False)
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise RuntimeError("TensorRT could not build an engine (see its log above)")
    write_atomic(timing_file, bytes(config.get_timing_cache().serialize()))
    return bytes(plan)

"""GPU artifacts of one verified model, per `gpu_*` target.

- ONNX Runtime CUDA: the same verified ONNX member as the cpu target, with the CUDA provider's options
  and the shapes to warm up at load. Always possible.
- TensorRT (`--tensorrt`):
  `prebuilt`  engines built here with the TensorRT Python API, one optimization profile per model
              (the recipe's / inference.yml's min/opt/max), precision fp16 → fp16 with sensitive layers
              in fp32 → fp32, the first that reproduces Paddle's outputs on every compile case within
              the recipe's tolerance for that precision; needs TensorRT and the target's GPU here;
  `on-first-run` no engine in the bundle: the deployment GPU builds it once from the ONNX, verifies it
              on the golden case with the same precision order and tolerances, and caches it
              (runtime_min/backends/tensorrt.py);
  `off`       ONNX Runtime CUDA only.
- PyTorch CUDA (`torch_onnx`, compiler/torch_onnx.py): the ONNX with Conv → Mul/Add/BatchNorm folded,
  verified on the compile cases; runs with no per-shape planning (runtime_min/backends/torch_cuda.py).
"""

from __future__ import annotations

import importlib.util

from hpi.compiler.torch_onnx import torch_onnx_artifact
from hpi.runtime_min.backends import tensorrt_engine as engines
from hpi.runtime_min.backends.onnxruntime import CUDA_PROVIDER_OPTIONS  # why these: its docstring, docs/targets.md
from hpi.core.errors import CompileError, UsageError
from hpi.core.manifest import Artifact
from hpi.runtime_min.targets import TARGETS

TENSORRT_MODES = ("prebuilt", "on-first-run", "off")
# TensorRT precisions to try in order (first verified wins); a reduced-precision engine must meet the
# recipe's fp16_tolerance (None: its fp32 tolerance, so fp16 is kept only when it is as exact).
TENSORRT_PRECISIONS = ("fp16", "fp16_mixed", "fp32")


def check_tensorrt_mode(targets, mode: str) -> None:
    """Refuse, before any work, a prebuilt-engine compile on a machine without TensorRT."""
    if mode not in TENSORRT_MODES:
        raise UsageError(f"unknown --tensorrt mode {mode!r}; use one of {', '.join(TENSORRT_MODES)}")
    gpu = [t for t in targets if TARGETS[t].is_gpu]
    if gpu and mode == "prebuilt" and importlib.util.find_spec("tensorrt") is None:
        raise UsageError(
            f"--target {gpu[0]} prebuilds TensorRT engines, but TensorRT is not installed here (`import "
            f"tensorrt` fails). Install TensorRT {TARGETS[gpu[0]].tensorrt} on a machine with the deployment "
            "GPU, or pass --tensorrt on-first-run (each GPU machine builds and caches its engines once) or "
            "--tensorrt off (ONNX Runtime CUDA only)")


def ort_cuda_config(profile: engines.Profile) -> dict:
    """ONNX Runtime CUDA settings: provider options and the shapes to warm up at load (the profile's
    opt shapes). No shape buckets: padding changes PP-OCRv4's outputs (measured: 7/18 images kept their
    texts with det padded to 480/960 and rec widths to 320/640/1280/3200), so shapes stay exact."""
    return {"execution_provider": "cuda", "provider_options": dict(CUDA_PROVIDER_OPTIONS),
            "warmup": [{n: s["opt"] for n, s in profile.items()}]}


def tolerances(recipe) -> dict[str, dict]:
    fp16 = recipe.fp16_tolerance or recipe.tolerance
    return {p: (recipe.tolerance if p == "fp32" else fp16).to_dict() for p in TENSORRT_PRECISIONS}


def gpu_artifacts(key: str, target: str, candidate, members: dict[str, str], profile: dict, recipe, cases,
                  options, report, output_order: str | None = None) -> tuple[list[dict], dict[str, bytes]]:
    """The artifacts (and any new members) of one verified model (`candidate`: its ONNX and output names)
    for one GPU target, as `options` (the whole CompileOptions) ask. `members` names the model's existing
    members: "onnx", and the golden case's "input:<name>" / "output:<i>". The PyTorch CUDA artifact
    (`torch_onnx`, compiler/torch_onnx.py) comes last."""
    artifacts, new_members = _ort_and_tensorrt(key, target, candidate, members, profile, recipe, cases, options,
                                               report, output_order)
    warmup = ort_cuda_config(engines.profile_from_shapes(profile))["warmup"]
    more, folded = torch_onnx_artifact(key, target, candidate, warmup, recipe, cases, report, output_order)
    return artifacts + more, {**new_members, **folded}


def _ort_and_tensorrt(key, target, candidate, members, profile, recipe, cases, options, report, output_order):
    trt_profile = engines.profile_from_shapes(profile)
    artifacts = [Artifact("onnx", target, {"model": members["onnx"]}, config=ort_cuda_config(trt_profile)).to_dict()]
    if options.tensorrt == "off":
        return artifacts, {}
    if options.tensorrt == "on-first-run":
        artifacts.append(Artifact("tensorrt_plan", target, dict(members), precision="chosen on first run", config={
            "build": "on_first_run", "profile": trt_profile, "precisions": list(TENSORRT_PRECISIONS),
            "tolerances": tolerances(recipe), "num_outputs": len(candidate.outputs), "output_order": output_order,
        }).to_dict())
        return artifacts, {}
    return _prebuilt(key, target, candidate.onnx, trt_profile, recipe, cases, report, artifacts,
                     options.tensorrt_version_compatible, output_order)


def _prebuilt(key, target, onnx, trt_profile, recipe, cases, report, artifacts, version_compatible, output_order):
    import tensorrt as trt

    from hpi.runtime_min.backends.tensorrt import build_verified_engine
    from hpi.runtime_min.compare import Tolerance

    expected = TARGETS[target].tensorrt
    if not trt.__version__.startswith(expected + ".") and trt.__version__ != expected:
        raise CompileError(f"target {target} needs TensorRT {expected}.x engines; this machine has TensorRT "
                           f"{trt.__version__}")
    capability = engines.compute_capability()

    def stage(precision):
        return report.stage(key, f"tensorrt {precision} ({target})", f"{key}: TensorRT {precision} engine for {target}")

    try:
        plan, precision, rejected = build_verified_engine(
            onnx, trt_profile, TENSORRT_PRECISIONS, {p: Tolerance(**t) for p, t in tolerances(recipe).items()},
            cases, output_order, version_compatible, stage)
    except ValueError as exc:
        raise CompileError(f"{key}: {exc}") from None
    for reason in rejected:
        report.warn(f"{key}: TensorRT rejected {reason}")
    engine_key = engines.EngineKey.of(onnx, trt.__version__, capability, precision, trt_profile, version_compatible)
    member = f"models/{key}/tensorrt/{target}.plan"
    artifacts.append(Artifact("tensorrt_plan", target, {"engine": member}, precision=precision,
                              config={**engine_key.to_dict(), "rejected": rejected}).to_dict())
    return artifacts, {member: plan}

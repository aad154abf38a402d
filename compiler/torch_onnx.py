"""The `torch_onnx` artifact of a GPU target: the verified ONNX with affine chains folded into its
convolutions (compiler/fold.py), for the PyTorch CUDA backend (runtime_min/backends/torch_cuda.py).

Verified like every artifact: the folded graph runs every compile case on ONNX Runtime (CPU) and must
match the reference (Paddle's outputs) within the recipe's fp32 tolerance; a graph that does not is left
out, with a warning, and the GPU target keeps its other artifacts. The member is shared by every GPU
target of the bundle; cpu artifacts never change.
"""

from __future__ import annotations

import hashlib

from hpi.compiler.fold import fold_affine
from hpi.core.manifest import Artifact

FORMAT = "torch_onnx"
_DONE: dict[tuple[str, str], tuple[bytes, dict] | str] = {}  # (model key, onnx sha256) → result, across targets


def member_name(key: str) -> str:
    return f"models/{key}/torch/model.onnx"


def _fold_and_verify(key: str, onnx: bytes, cases, output_names, tolerance, output_order) -> tuple[bytes, dict] | str:
    """(folded bytes, verification record), or why the folded graph is not used."""
    from hpi.runtime_min.backends.onnxruntime import OnnxRuntimeBackend
    from hpi.runtime_min.compare import verify_session

    digest = hashlib.sha256(onnx).hexdigest()
    if (key, digest) in _DONE:
        return _DONE[(key, digest)]
    try:
        folded, stats = fold_affine(onnx)
        session = OnnxRuntimeBackend.load({"model": folded}, {}, None)
        diffs = verify_session(session, cases, output_names, tolerance, output_order)
        del session
    except Exception as exc:  # noqa: BLE001 - a graph that cannot be folded or run is left out, with why
        result = f"folding failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    else:
        failed = [d for d in diffs if not d.passed]
        if failed:
            result = f"the folded graph differs from the reference: {failed[0].describe()}"
        else:
            result = folded, {"folding": stats.to_dict(), "verified_with": "onnxruntime cpu",
                              "cases": sorted({d.case for d in diffs}),
                              "max_abs": max((d.max_abs for d in diffs), default=0.0)}
    _DONE[(key, digest)] = result
    return result


def torch_onnx_artifact(key: str, target: str, candidate, warmup: list[dict], recipe, cases, report,
                        output_order: str | None = None) -> tuple[list[dict], dict[str, bytes]]:
    """([the artifact], {member: folded ONNX}) for one GPU target, or ([], {}) with a warning when the folded
    graph does not reproduce the reference."""
    result = _fold_and_verify(key, candidate.onnx, cases, candidate.outputs, recipe.tolerance, output_order)
    if isinstance(result, str):
        if report is not None:
            report.warn(f"{key}: no {FORMAT} artifact for {target}: {result}")
        return [], {}
    folded, verification = result
    name = member_name(key)
    config = {"warmup": warmup, "cudnn": False, "tf32": False,
              "cuda_graphs": "per exact input shape, bounded LRU (runtime_min/backends/torch_cuda.py)", **verification}
    return [Artifact(FORMAT, target, {"model": name}, precision="fp32", config=config).to_dict()], {name: folded}

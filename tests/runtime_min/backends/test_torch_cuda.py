"""The PyTorch CUDA backend without a GPU: the per-shape graph LRU, how the runtime chooses it (and says
why not) on GPU targets, and the onnx2torch conversion with host-side shape tensors (on the CPU, when
torch and onnx2torch are installed). tests/gpu/test_torch_cuda.py runs it on a GPU."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from hpi.runtime_min import backends
from hpi.runtime_min.backends.torch_cuda import GraphLRU, TorchCudaBackend
from hpi.runtime_min.targets import TARGETS


class _Calls:
    def __init__(self, fail_capture=()):
        self.log, self.fail_capture = [], set(fail_capture)

    def eager(self, key):
        return lambda: self.log.append(("eager", key)) or f"eager {key}"

    def capture(self, key):
        def capture():
            self.log.append(("capture", key))
            if key in self.fail_capture:
                raise RuntimeError("operation not permitted when stream is capturing")
            return lambda: self.log.append(("replay", key)) or f"graph {key}"
        return capture

    def run(self, lru, key):
        return lru.run(key, self.eager(key), self.capture(key))


def test_first_sighting_runs_eagerly_the_second_captures_then_replays():
    lru, calls = GraphLRU(capacity=4, capture_early=False), _Calls()
    assert calls.run(lru, "a") == "eager a"
    assert calls.run(lru, "a") == "graph a"  # captured, then replayed for this very call
    assert calls.run(lru, "a") == "graph a"
    assert calls.log == [("eager", "a"), ("capture", "a"), ("replay", "a"), ("replay", "a")]
    assert lru.stats == {"eager": 1, "captured": 1, "replayed": 1, "evicted": 0, "capture_failed": 0}
    assert len(lru) == 1


def test_least_recently_used_graph_goes_first():
    lru, calls = GraphLRU(capacity=2, capture_early=False), _Calls()
    for key in ["a", "a", "b", "b", "a", "c", "c"]:  # a is used after b, so b is the one evicted by c
        calls.run(lru, key)
    assert lru.keys() == ["a", "c"] and lru.stats["evicted"] == 1
    calls.log.clear()
    assert calls.run(lru, "b") == "eager b"  # evicted: back to counting sightings (b was seen twice before)
    assert calls.run(lru, "b") == "graph b"
    assert lru.keys() == ["c", "b"]


def test_a_shape_that_cannot_be_captured_runs_eagerly_from_then_on():
    """A failed capture is tried once more at the next sighting (rare failures pass), then never again."""
    lru, calls = GraphLRU(capacity=4, capture_early=False), _Calls(fail_capture={"x"})
    assert [calls.run(lru, "x") for _ in range(5)] == ["eager x"] * 5
    assert calls.log.count(("capture", "x")) == 2 and "not permitted" in lru.uncapturable["x"]
    assert lru.stats["capture_failed"] == 2 and len(lru) == 0 and "not permitted" in lru.last_capture_error
    calls.fail_capture.clear()
    lru = GraphLRU(capacity=4, capture_early=True)
    calls.fail_capture.add("y")
    assert calls.run(lru, "y") == "eager y"  # failed once
    calls.fail_capture.clear()
    assert calls.run(lru, "y") == "graph y" and "y" not in lru.uncapturable  # the second try holds


def test_capacity_zero_never_captures_and_sightings_stay_bounded():
    lru, calls = GraphLRU(capacity=0), _Calls()
    assert [calls.run(lru, "a") for _ in range(3)] == ["eager a"] * 3
    lru = GraphLRU(capacity=2, max_tracked=3, capture_early=False)
    for key in "abcde":  # each seen once: only the last three are remembered
        calls.run(lru, key)
    assert calls.run(lru, "a") == "eager a"  # forgotten, so this is its first sighting again
    assert calls.run(lru, "e") == "graph e"
    with pytest.raises(ValueError):
        GraphLRU(capacity=-1)


def test_registered_and_first_on_every_gpu_target():
    assert "torch_cuda" in backends.names() and backends.get("torch_cuda") is TorchCudaBackend
    assert TorchCudaBackend.artifact_format == "torch_onnx"
    for target in TARGETS.values():
        if target.is_gpu:
            assert target.backends[0] == "torch_cuda" and "onnxruntime" in target.backends
    assert TorchCudaBackend.unavailable_on("cpu") == "torch_cuda does not run on cpu"


def test_unavailable_says_why_and_the_runtime_falls_back(monkeypatch):
    """Without torch (or without a CUDA GPU) the choice passes over torch_cuda with the reason, and takes
    the next backend of the target's preference."""
    from types import SimpleNamespace

    from hpi.core.manifest import Artifact, ModelEntry
    from hpi.runtime_min import models
    from hpi.runtime_min.backends import torch_cuda
    from hpi.runtime_min.backends.onnxruntime import OnnxRuntimeBackend

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(torch_cuda.importlib.util, "find_spec",
                        lambda name, *a: None if name == "onnx2torch" else real_find_spec(name, *a))
    reason = TorchCudaBackend.unavailable_on("gpu")
    assert reason.startswith("torch_cuda is not installed (") and "onnx2torch" in reason and "hpi-aot[gpu-torch]" in reason
    monkeypatch.setattr(OnnxRuntimeBackend, "unavailable_on", classmethod(lambda cls, device: None))
    entry = ModelEntry("text_det", "text_detection", "m", {}, (
        Artifact("onnx", "gpu_cuda13", {"model": "m.onnx"}), Artifact("torch_onnx", "gpu_cuda13", {"model": "f.onnx"})))
    bundle = SimpleNamespace(path="b.hpi", contents=SimpleNamespace(
        targets=["gpu_cuda13"], models={"text_det": entry},
        backend_preference={"gpu_cuda13": ["torch_cuda", "tensorrt", "onnxruntime"]}))
    found = models.choices(bundle, models.RunOptions(device="gpu"))
    assert [c.backend for c in found] == ["onnxruntime"]
    assert found[0].skipped[0].startswith("torch_cuda on gpu_cuda13: torch_cuda is not installed")


HAS_TORCH = all(importlib.util.find_spec(m) for m in ("torch", "onnx2torch", "onnx", "onnxruntime"))


def _shape_model() -> bytes:
    """Conv, then Shape → Slice → Concat → Reshape (as PP-OCRv4 rec does) and a Resize by constant scales."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    c = lambda name, a: numpy_helper.from_array(np.asarray(a), name)  # noqa: E731
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Resize", ["c", "roi", "scales"], ["r"], mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        helper.make_node("Shape", ["r"], ["s"]),
        helper.make_node("Slice", ["s", "zero", "two", "zero"], ["s2"]),
        helper.make_node("Concat", ["s2", "minus1"], ["shape"], axis=0),
        helper.make_node("Reshape", ["r", "shape"], ["y"]),
    ]
    inits = [c("w", rng.standard_normal((4, 3, 3, 3)).astype(np.float32)), c("roi", np.zeros(0, np.float32)),
             c("scales", np.array([1, 1, 2, 2], np.float32)), c("zero", np.array([0], np.int64)),
             c("two", np.array([2], np.int64)), c("minus1", np.array([-1], np.int64))]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, None, None])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    # IR version 8: what paddle2onnx writes, and old enough for every ONNX Runtime we support
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8).SerializeToString()


@pytest.mark.skipif(not HAS_TORCH, reason="torch, onnx2torch, onnx and onnxruntime are needed (pip install "
                                          "'hpi-aot[gpu-torch]' onnxruntime)")
def test_conversion_keeps_shape_tensors_on_the_host_and_matches_onnxruntime():
    try:
        import onnx2torch  # noqa: F401 - it imports torchvision, which may not match this torch
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"onnx2torch does not import here: {exc}")
    import onnxruntime as ort
    import torch

    from hpi.runtime_min.backends.torch_cuda import convert

    model = _shape_model()
    module, inputs, outputs = convert(model, device="cpu")
    assert inputs == ["x"] and outputs == ["y"]
    buffers = dict(module.named_buffers())
    assert all(b.device.type == "cpu" for b in buffers.values())
    x = np.random.default_rng(1).standard_normal((1, 3, 5, 7)).astype(np.float32)
    with torch.no_grad():
        got = module(torch.from_numpy(x)).numpy()
    want = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert got.shape == want.shape == (1, 4, 140)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    shape_modules = [m for m in module.modules() if type(m).__name__ == "HostShape"]
    assert len(shape_modules) == 1 and shape_modules[0](torch.zeros(2, 3)).device.type == "cpu"


def test_capture_early_while_there_is_room_then_on_the_second_sighting():
    lru, calls = GraphLRU(capacity=2, capture_early=True), _Calls()
    assert calls.run(lru, "a") == "graph a" and calls.run(lru, "b") == "graph b"  # room: captured at once
    assert calls.run(lru, "c") == "eager c"  # full: a shape seen once runs eagerly, a and b stay
    assert lru.keys() == ["a", "b"]
    assert calls.run(lru, "c") == "graph c" and lru.keys() == ["b", "c"]  # seen twice: captured, a evicted

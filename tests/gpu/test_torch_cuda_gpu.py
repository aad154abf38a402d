"""The PyTorch CUDA backend on a real GPU: eager on a shape's first sighting, a captured CUDA graph from
the second, same results as ONNX Runtime on the CPU each time, shapes alternating as in a pipeline.
Skipped with the reason where torch, onnx2torch or a CUDA GPU is missing (CI). With $HPI_GPU_BUNDLE (an
OCR bundle with a gpu_* target), its models' golden cases run too."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest


def _reason() -> str | None:
    if importlib.util.find_spec("onnxruntime") is None:
        return "onnxruntime is not installed (the CPU reference)"
    from hpi.runtime_min.backends.torch_cuda import TorchCudaBackend

    return TorchCudaBackend.unavailable_on("gpu")


REASON = _reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=str(REASON))


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


@pytest.mark.parametrize("early", [False, True])
def test_eager_then_graph_replay_match_onnxruntime_cpu(early):
    from hpi.runtime_min.backends.onnxruntime import OnnxRuntimeBackend
    from hpi.runtime_min.backends.torch_cuda import TorchCudaBackend

    model = _shape_model()
    cpu = OnnxRuntimeBackend.load({"model": model}, {}, None)
    session = TorchCudaBackend.load({"model": model}, {"warmup": [{"x": [1, 3, 8, 8]}], "capture_early": early}, None)
    shapes = [(1, 3, 16, 24), (1, 3, 20, 12), (1, 3, 16, 24), (1, 3, 20, 12), (1, 3, 16, 24)]
    for i, shape in enumerate(shapes):
        x = np.random.default_rng(i).standard_normal(shape).astype(np.float32)
        np.testing.assert_allclose(session.run({"x": x})[0], cpu.run({"x": x})[0], rtol=1e-5, atol=1e-5)
    stats = session.graphs.stats
    assert stats["captured"] == 2 and not session.graphs.uncapturable
    assert (stats["eager"], stats["replayed"]) == ((0, 3) if early else (2, 1))
    session.close()


@pytest.mark.skipif(not os.environ.get("HPI_GPU_BUNDLE"), reason="set $HPI_GPU_BUNDLE to an OCR bundle with a "
                                                                "gpu_* target")
def test_bundle_golden_cases_on_torch_cuda():
    from hpi.core.bundle_format import Bundle
    from hpi.runtime_min.bundle_tools import self_test

    report = self_test(Bundle.open(os.environ["HPI_GPU_BUNDLE"], check_signature=False), ["torch_cuda"])
    assert report["passed"], report


def test_normalising_on_the_gpu_gives_the_host_path_bits():
    """run_normalized (uint8 HWC uploaded, NormalizeImage + ToCHW on the GPU) equals normalize_to_chw on the
    host followed by run, bit for bit, eagerly and through the captured graph; RGBA drops its alpha."""
    from hpi.runtime_min.backends.torch_cuda import TorchCudaBackend
    from hpi.runtime_min.ops.normalize import IMAGENET_MEAN, IMAGENET_STD, normalize_to_chw

    session = TorchCudaBackend.load({"model": _shape_model()}, {}, None)
    rng = np.random.default_rng(3)
    for channels in (3, 4):
        img = rng.integers(0, 256, (24, 40, channels), dtype=np.uint8)
        host = session.run({"x": normalize_to_chw(img, IMAGENET_MEAN, IMAGENET_STD, "1./255.")[np.newaxis]})[0]
        for _ in range(3):  # captured (the cache has room), then replayed
            got = session.run_normalized(img, IMAGENET_MEAN, IMAGENET_STD, "1./255.")
            assert got is not None and np.array_equal(got, host)
    assert session.run_normalized(img.astype(np.float32), IMAGENET_MEAN, IMAGENET_STD, 1 / 255) is None
    session.close()


def test_best_class_on_the_gpu_equals_numpy_on_the_outputs():
    """run_best_class (argmax and max over the last axis inside the graph) equals numpy's argmax/max of run's
    output, eagerly and through the captured graph; a wrong class count is a ValueError, as on the host."""
    from hpi.runtime_min.backends.torch_cuda import TorchCudaBackend

    session = TorchCudaBackend.load({"model": _shape_model()}, {}, None)
    x = np.random.default_rng(5).standard_normal((1, 3, 8, 10)).astype(np.float32)
    full = session.run({"x": x})[0]  # [1, 4, 320]: the last axis plays the classes
    for _ in range(3):
        idx, prob = session.run_best_class({"x": x}, full.shape[-1])
        assert np.array_equal(idx, full.argmax(axis=-1)) and np.array_equal(prob, full.max(axis=-1))
    with pytest.raises(ValueError, match="expected"):
        session.run_best_class({"x": x}, 7)
    session.close()

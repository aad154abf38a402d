"""The GPU backends on a real GPU: ONNX Runtime's CUDA provider and TensorRT engines.

Each test needs its library and a GPU and is skipped elsewhere with the reason (CI has no GPU; no
machine of ours has full TensorRT, see docs/targets.md). The model is a small real convolutional net
built with onnx.helper; ONNX Runtime on CPU is the reference.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from hpi.runtime_min.backends import tensorrt_engine as engines


def _tiny_onnx() -> bytes:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32) * 0.5, "w1")
    w2 = numpy_helper.from_array(rng.standard_normal((4, 8, 3, 3)).astype(np.float32) * 0.5, "w2")
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1, 1, 1, 1]),
             helper.make_node("Softmax", ["c2"], ["y"], axis=1)]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "h", "w"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 4, "h", "w"])], [w1, w2])
    # IR version 8: what paddle2onnx writes, and old enough for every ONNX Runtime we support
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8).SerializeToString()


def _cpu_reference(onnx_bytes, x):
    from hpi.runtime_min.backends.onnxruntime import OnnxRuntimeBackend

    return OnnxRuntimeBackend.load({"model": onnx_bytes}, {}, None).run({"x": x})[0]


def _cuda_reason() -> str | None:
    if importlib.util.find_spec("onnxruntime") is None:
        return "onnxruntime is not installed"
    from hpi.runtime_min.backends.onnxruntime import OnnxRuntimeBackend

    return OnnxRuntimeBackend.unavailable_on("gpu")


INPUTS = [np.random.default_rng(i).standard_normal(s).astype(np.float32)
          for i, s in enumerate([(1, 3, 32, 32), (2, 3, 64, 96), (1, 3, 48, 320)])]


@pytest.mark.skipif(_cuda_reason() is not None, reason=str(_cuda_reason()))
def test_onnxruntime_cuda_matches_cpu_in_fp32():
    from hpi.runtime_min.backends.onnxruntime import OnnxRuntimeBackend

    onnx_bytes = _tiny_onnx()
    config = {"execution_provider": "cuda", "provider_options": {"use_tf32": 0}, "warmup": [{"x": [1, 3, 32, 32]}]}
    session = OnnxRuntimeBackend.load({"model": onnx_bytes}, config, None)
    for x in INPUTS + INPUTS:  # shapes alternate, as in a pipeline
        np.testing.assert_allclose(session.run({"x": x})[0], _cpu_reference(onnx_bytes, x), atol=1e-5)


needs_tensorrt = pytest.mark.skipif(importlib.util.find_spec("tensorrt") is None,
                                    reason="full TensorRT is not installed (`import tensorrt` fails)")

PROFILE = engines.profile_from_shapes({"x": ([1, 3, 32, 32], [1, 3, 64, 96], [2, 3, 64, 320])})


@needs_tensorrt
@pytest.mark.parametrize("precision,atol", [("fp32", 1e-4), ("fp16_mixed", 1e-2), ("fp16", 1e-2)])
def test_tensorrt_engine_matches_cpu(precision, atol, tmp_path, monkeypatch):
    from hpi.runtime_min.backends.tensorrt import TensorRtBackend

    monkeypatch.setenv("HPI_ENGINE_CACHE", str(tmp_path))
    onnx_bytes = _tiny_onnx()
    plan = engines.build_engine(onnx_bytes, PROFILE, precision)
    session = TensorRtBackend.load({"engine": plan}, {"precision": precision}, None)
    for x in INPUTS[:2]:
        np.testing.assert_allclose(session.run({"x": x})[0], _cpu_reference(onnx_bytes, x), atol=atol)
    assert list(tmp_path.glob("timing-*.cache")), "the timing cache is written for the next build"


@needs_tensorrt
def test_tensorrt_first_run_build_is_verified_and_cached(tmp_path, monkeypatch):
    import io

    from hpi.runtime_min.backends.tensorrt import TensorRtBackend

    monkeypatch.setenv("HPI_ENGINE_CACHE", str(tmp_path))
    onnx_bytes, x = _tiny_onnx(), INPUTS[1]

    def npy(a):
        buf = io.BytesIO()
        np.save(buf, a)
        return buf.getvalue()

    files = {"onnx": onnx_bytes, "input:x": npy(x), "output:0": npy(_cpu_reference(onnx_bytes, x))}
    config = {"build": "on_first_run", "profile": PROFILE, "precisions": ["fp16", "fp32"], "num_outputs": 1,
              "tolerances": {"fp16": {"atol": 1e-2, "rtol": 0.0}, "fp32": {"atol": 1e-4, "rtol": 0.0}}}
    first = TensorRtBackend.load(files, config, None)
    assert first.precision == "fp16"
    cached = list(tmp_path.glob("*.plan"))
    assert len(cached) == 1
    again = TensorRtBackend.load(files, config, None)
    assert again.precision == "fp16" and list(tmp_path.glob("*.plan")) == cached

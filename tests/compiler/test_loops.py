"""compiler/loops.py: pass-through loop-carried values read from the outer scope. On a small decoder-like
Loop (a weight carried through unchanged, a state updated, a scan output), the rewritten graph gives ONNX
Runtime's outputs (to float rounding: with the weight a constant ONNX Runtime may pick another MatMul kernel,
3e-8 here) and OpenVINO converts and runs it to the same values. The real case (SLANet's
500-step GRU decoder) is compiled and compared with PaddleX in tests/recipes/test_parity_table_structure.py, and
its paddle 3.0 PIR export through paddle2onnx 2.1.0 in test_parity_table_structure_paddle.py (whose Loop the
last test here mimics)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from hpi.compiler.loops import hoist_loop_invariants


def _decoder(steps: int = 5) -> onnx.ModelProto:
    """state <- tanh(state @ W + b) for `steps` steps, W and b carried through the loop unchanged (as
    paddle2onnx writes SLAHead), every state kept as a scan output, the final W a graph output too."""
    rng = np.random.default_rng(0)
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("MatMul", ["state_in", "w_in"], ["mm"]),
         helper.make_node("Add", ["mm", "b_in"], ["pre"]),
         helper.make_node("Tanh", ["pre"], ["state_out"]),
         helper.make_node("Identity", ["state_out"], ["scan"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("w_in", TensorProto.FLOAT, [4, 4]),
         helper.make_tensor_value_info("state_in", TensorProto.FLOAT, [1, 4]),
         helper.make_tensor_value_info("b_in", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("w_in", TensorProto.FLOAT, [4, 4]),
         helper.make_tensor_value_info("state_out", TensorProto.FLOAT, [1, 4]),
         helper.make_tensor_value_info("b_in", TensorProto.FLOAT, [4]),
         helper.make_tensor_value_info("scan", TensorProto.FLOAT, [1, 4])])
    graph = helper.make_graph(
        [helper.make_node("Loop", ["M", "cond", "W", "x", "B"], ["W_final", "state", "B_final", "states"], body=body),
         helper.make_node("Add", ["W_final", "W_final"], ["W2"])],
        "decoder",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("state", TensorProto.FLOAT, [1, 4]),
         helper.make_tensor_value_info("states", TensorProto.FLOAT, [steps, 1, 4]),
         helper.make_tensor_value_info("W2", TensorProto.FLOAT, [4, 4]),
         helper.make_tensor_value_info("B_final", TensorProto.FLOAT, [4])],
        [numpy_helper.from_array(np.array(steps, np.int64), "M"), numpy_helper.from_array(np.array(True), "cond"),
         numpy_helper.from_array(rng.standard_normal((4, 4)).astype(np.float32), "W"),
         numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "B")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])


def _run_ort(model, x):
    import onnxruntime as ort

    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})


def test_hoisted_loop_gives_the_same_outputs():
    x = np.random.default_rng(1).standard_normal((1, 4)).astype(np.float32)
    model = _decoder()
    before = _run_ort(model, x)
    hoisted = onnx.ModelProto.FromString(model.SerializeToString())
    assert hoist_loop_invariants(hoisted) == 2  # W and B
    onnx.checker.check_model(hoisted)
    loop = next(n for n in hoisted.graph.node if n.op_type == "Loop")
    assert list(loop.input) == ["M", "cond", "x"] and list(loop.output) == ["state", "states"]
    after = _run_ort(hoisted, x)
    for a, b in zip(before, after):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert hoist_loop_invariants(hoisted) == 0  # nothing left to move


def test_openvino_runs_the_hoisted_loop():
    ov = pytest.importorskip("openvino")
    x = np.random.default_rng(2).standard_normal((1, 4)).astype(np.float32)
    model = _decoder()
    want = _run_ort(model, x)
    hoist_loop_invariants(model)
    compiled = ov.Core().compile_model(ov.Core().read_model(model.SerializeToString(), b""), "CPU",
                                       {"INFERENCE_PRECISION_HINT": "f32"})
    got = compiled([x])
    for port, expected in zip(compiled.outputs, want):
        np.testing.assert_allclose(got[port], expected, atol=1e-6)


def _pir_while(tmp_path):
    """A Loop as paddle2onnx 2.1.0 writes a PIR while loop: body inputs named after the Loop's outer inputs,
    the body condition declared a scalar while the Loop's is [1], a placeholder carried value nobody reads that
    enters as a scalar and leaves as [1, 4], and a scalar step counter the body makes [1] (i * 1.0 + 1.0)."""
    f, b, i64 = TensorProto.FLOAT, TensorProto.BOOL, TensorProto.INT64
    body = helper.make_graph(
        [helper.make_node("Cast", ["i"], ["i_f"], to=f),
         helper.make_node("Mul", ["i_f", "one1"], ["i_m"]),
         helper.make_node("Add", ["i_m", "one0"], ["i_a"]),
         helper.make_node("Cast", ["i_a"], ["i_next"], to=i64),
         helper.make_node("Less", ["i_a", "five"], ["cond_next"]),
         helper.make_node("Tanh", ["x"], ["x_next"]),
         helper.make_node("Identity", ["x_next"], ["last"])],
        "body",
        [helper.make_tensor_value_info("iter", i64, [1]), helper.make_tensor_value_info("cond", b, []),
         helper.make_tensor_value_info("i", i64, []), helper.make_tensor_value_info("x", f, [1, 4]),
         helper.make_tensor_value_info("placeholder", f, [1, 4])],
        [helper.make_tensor_value_info("cond_next", b, []), helper.make_tensor_value_info("i_next", i64, []),
         helper.make_tensor_value_info("x_next", f, [1, 4]), helper.make_tensor_value_info("last", f, [1, 4])],
        [numpy_helper.from_array(np.array([1.0], np.float32), "one1"),
         numpy_helper.from_array(np.array(1.0, np.float32), "one0"),
         numpy_helper.from_array(np.array([5.0], np.float32), "five")])
    graph = helper.make_graph(
        [helper.make_node("Constant", [], ["cond"], value=numpy_helper.from_array(np.array([True]))),
         helper.make_node("Constant", [], ["i"], value=numpy_helper.from_array(np.array(0, np.int64))),
         helper.make_node("Constant", [], ["placeholder"], value=numpy_helper.from_array(np.array(0, np.float32))),
         helper.make_node("Loop", ["", "cond", "i", "x", "placeholder"], ["i_out", "x_out", "last_out"], body=body),
         helper.make_node("Cast", ["i_out"], ["steps"], to=f)],
        "pir_while", [helper.make_tensor_value_info("x", f, [1, 4])],
        [helper.make_tensor_value_info("x_out", f, [1, 4]), helper.make_tensor_value_info("steps", f, None)])
    path = tmp_path / "pir_while.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), path)
    return path


def test_paddle2onnx_pir_while_loop_runs_on_both_backends(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    ov = pytest.importorskip("openvino")
    from hpi.compiler.loops import loadable_loops, onnx_for_openvino

    path = _pir_while(tmp_path)
    with pytest.raises(Exception, match="declared"):  # as written, ONNX Runtime refuses the condition
        ort.InferenceSession(str(path))
    assert loadable_loops(path) > 0
    x = np.random.default_rng(1).standard_normal((1, 4)).astype(np.float32)
    expected = x
    for _ in range(5):
        expected = np.tanh(expected)
    x_out, steps = ort.InferenceSession(str(path)).run(None, {"x": x})
    np.testing.assert_allclose(x_out, expected, rtol=1e-6)
    assert steps.reshape(-1).tolist() == [5.0]
    core = ov.Core()
    with pytest.raises(Exception, match="dynamic rank"):  # loadable, but the CPU plugin refuses the Loop
        core.compile_model(core.read_model(str(path)), "CPU")
    ov_path = onnx_for_openvino(str(path), str(tmp_path / "ov.onnx"))
    assert ov_path != str(path)
    compiled = core.compile_model(core.read_model(ov_path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    out = compiled({"x": x})
    np.testing.assert_allclose(out[compiled.outputs[0]], expected, rtol=1e-6)
    assert out[compiled.outputs[1]].reshape(-1).tolist() == [5.0]

"""compiler/fold.py: Conv → Mul/Add/BatchNormalization folding, checked on CPU with ONNX Runtime against
the unfolded graph (the same check compiler/torch_onnx.py makes on real models), and the torch_onnx
artifact a GPU target gets from it."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from hpi.compiler.fold import fold_affine  # noqa: E402

RNG = np.random.default_rng(7)
C = 4


def _const(name, array):
    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def _model(nodes, initializers, out_channels=C, transpose=False):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "g", [x], [y], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8).SerializeToString()


def _conv(out="c", op="Conv", **attrs):
    return helper.make_node(op, ["x", "w", "b"], [out], **attrs)


def _weights(transpose=False):
    shape = (3, C, 3, 3) if transpose else (C, 3, 3, 3)
    return [_const("w", RNG.standard_normal(shape)), _const("b", RNG.standard_normal(C))]


def _run(model: bytes) -> np.ndarray:
    x = RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    _run.x = getattr(_run, "x", x)
    return ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"x": _run.x})[0]


def _ops(model: bytes) -> list[str]:
    return [n.op_type for n in onnx.load_from_string(model).graph.node]


def _same(model: bytes, folded: bytes):
    np.testing.assert_allclose(_run(folded), _run(model), rtol=1e-5, atol=1e-5)


def test_mul_and_add_per_channel_fold_into_the_conv():
    nodes = [_conv(pads=[1, 1, 1, 1]), helper.make_node("Mul", ["c", "s"], ["m"]),
             helper.make_node("Add", ["a", "m"], ["p"]), helper.make_node("Relu", ["p"], ["y"])]
    inits = _weights() + [_const("s", RNG.standard_normal((1, C, 1, 1))), _const("a", RNG.standard_normal((C, 1, 1)))]
    model = _model(nodes, inits)
    folded, stats = fold_affine(model)
    assert _ops(folded) == ["Conv", "Relu"]
    assert stats.to_dict() == {"nodes_before": 4, "nodes_after": 2, "folded": {"Add": 1, "Mul": 1}}
    _same(model, folded)
    assert len(onnx.load_from_string(folded).graph.initializer) == 2  # the unfolded weights and constants go


def test_scalar_and_batchnorm_fold():
    nodes = [_conv(), helper.make_node("BatchNormalization", ["c", "g", "be", "mu", "var"], ["n"], epsilon=1e-3),
             helper.make_node("Mul", ["n", "two"], ["y"])]
    inits = _weights() + [_const("g", RNG.random(C) + 0.5), _const("be", RNG.standard_normal(C)),
                          _const("mu", RNG.standard_normal(C)), _const("var", RNG.random(C) + 0.1), _const("two", 2.0)]
    model = _model(nodes, inits)
    folded, stats = fold_affine(model)
    assert _ops(folded) == ["Conv"] and stats.folded == {"BatchNormalization": 1, "Mul": 1}
    _same(model, folded)


def test_conv_transpose_folds_along_its_output_channels():
    nodes = [_conv(op="ConvTranspose", strides=[2, 2]), helper.make_node("Mul", ["c", "s"], ["y"])]
    model = _model(nodes, _weights(transpose=True) + [_const("s", RNG.standard_normal((1, C, 1, 1)))])
    folded, _ = fold_affine(model)
    assert _ops(folded) == ["ConvTranspose"]
    _same(model, folded)


@pytest.mark.parametrize("case", ["last_axis_vector", "two_consumers", "not_a_constant", "graph_output"])
def test_what_must_not_fold_stays(case):
    inits = _weights()
    if case == "last_axis_vector":  # (C,) broadcasts over W, not over channels
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, C + 2])
        nodes = [_conv(), helper.make_node("Mul", ["c", "s"], ["y"])]
        inits.append(_const("s", RNG.standard_normal(C)))
        graph = helper.make_graph(nodes, "g", [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8).SerializeToString()
        folded, stats = fold_affine(model)
        assert _ops(folded) == ["Conv", "Mul"] and stats.folded == {}
        return
    if case == "two_consumers":
        nodes = [_conv(), helper.make_node("Mul", ["c", "s"], ["m"]), helper.make_node("Add", ["m", "c"], ["y"])]
        inits.append(_const("s", RNG.standard_normal((1, C, 1, 1))))
    elif case == "not_a_constant":
        nodes = [_conv(), helper.make_node("Relu", ["c"], ["r"]), helper.make_node("Mul", ["c", "r"], ["y"])]
    else:
        nodes = [_conv(out="y"), helper.make_node("Mul", ["y", "s"], ["z"])]
        inits.append(_const("s", RNG.standard_normal((1, C, 1, 1))))
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
        outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("y", "z")]
        model = helper.make_model(helper.make_graph(nodes, "g", [x], outs, inits),
                                  opset_imports=[helper.make_opsetid("", 14)], ir_version=8).SerializeToString()
        folded, stats = fold_affine(model)
        assert stats.folded == {} and _ops(folded) == _ops(model)
        return
    model = _model(nodes, inits)
    folded, stats = fold_affine(model)
    assert stats.folded == {} and _ops(folded) == _ops(model)
    _same(model, folded)


def test_gpu_target_gets_a_verified_torch_onnx_artifact():
    from hpi.compiler.torch_onnx import torch_onnx_artifact
    from hpi.runtime_min.compare import Case, Tolerance

    nodes = [_conv(), helper.make_node("Mul", ["c", "s"], ["m"]), helper.make_node("Add", ["m", "a"], ["y"])]
    model = _model(nodes, _weights() + [_const("s", RNG.standard_normal((1, C, 1, 1))),
                                        _const("a", RNG.standard_normal((1, C, 1, 1)))])
    x = RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    want = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"x": x})
    recipe = SimpleNamespace(tolerance=Tolerance(atol=1e-4))
    candidate = SimpleNamespace(onnx=model, outputs=["y"])
    warnings = []
    report = SimpleNamespace(warn=warnings.append)
    artifacts, members = torch_onnx_artifact("m", "gpu_cuda13", candidate, [{"x": [1, 3, 8, 8]}], recipe,
                                             [Case("opt", {"x": x}, want)], report)
    assert [a["format"] for a in artifacts] == ["torch_onnx"] and not warnings
    art = artifacts[0]
    assert art["members"] == {"model": "models/m/torch/model.onnx"} and set(members) == {"models/m/torch/model.onnx"}
    assert art["precision"] == "fp32" and art["config"]["folding"]["folded"] == {"Add": 1, "Mul": 1}
    assert art["config"]["max_abs"] <= 1e-4 and art["config"]["warmup"] == [{"x": [1, 3, 8, 8]}]
    # a reference the folded graph does not reproduce: no artifact, and the warning says why
    wrong = [Case("opt", {"x": x}, [w + 1.0 for w in want])]
    candidate2 = SimpleNamespace(onnx=model + b"", outputs=["y"])
    artifacts, members = torch_onnx_artifact("other", "gpu_cuda13", candidate2, [], recipe, wrong, report)
    assert artifacts == [] and members == {} and "differs from the reference" in warnings[0]

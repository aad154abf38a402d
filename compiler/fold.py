"""Fold affine chains into convolutions on an ONNX graph: Conv → Mul(c) / Add(c) / BatchNormalization.

paddle2onnx writes each batch norm of PP-OCR as a Mul and an Add by per-channel constants after the
convolution (det: 62 Conv, 62 Mul, 64 Add, 254 nodes). Every such node is one more kernel launch and
one more pass over the activation on a GPU; folded into the convolution's weight and bias they cost
nothing. Only exact algebra is done:

    Conv(x, W, b) * s  = Conv(x, W * s[:, None, None, None], b * s)     s per output channel or scalar
    Conv(x, W, b) + a  = Conv(x, W, b + a)                              a per output channel or scalar
    BN(Conv(x, W, b))  = Conv(x, W * g, (b - mean) * g + beta)          g = scale / sqrt(var + eps)

and ConvTranspose likewise (its output channels are the weight's axis 1; group 1 only). A node is folded
only when the convolution's output feeds that node alone and is no graph output, the constant
broadcasts over channels only (shape (), (1,), (1, C, 1, 1), (C, 1, 1) ...), and weights are float
initializers. The result is float arithmetic in another order, so the caller verifies it like any
converted model (compiler/gpu.py runs both graphs on the compile cases with ONNX Runtime).

`fold_affine(model_bytes) -> (folded_bytes, stats)`; the input is not changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FoldStats:
    nodes_before: int
    nodes_after: int
    folded: dict  # op type → how many nodes went into a convolution

    def to_dict(self) -> dict:
        return {"nodes_before": self.nodes_before, "nodes_after": self.nodes_after, "folded": dict(self.folded)}


def _per_channel(value: np.ndarray, channels: int, rank: int) -> np.ndarray | None:
    """`value` as a (channels,) vector when it broadcasts over a rank-`rank` NC... tensor along the
    channel axis only; None otherwise."""
    if value.ndim > rank:
        return None
    shape = (1,) * (rank - value.ndim) + tuple(value.shape)
    if shape[0] != 1 or any(d != 1 for d in shape[2:]) or shape[1] not in (1, channels):
        return None
    return np.broadcast_to(value.reshape(-1), (channels,)).astype(np.float64)


class _Graph:
    """Just enough of an ONNX graph to find constants and consumers."""

    def __init__(self, model):
        from onnx import numpy_helper

        self.model, self.graph = model, model.graph
        self.init = {i.name: i for i in self.graph.initializer}
        self.constants = {n.output[0]: n for n in self.graph.node if n.op_type == "Constant" and not n.input}
        self.outputs = {o.name for o in self.graph.output}
        self.to_array = numpy_helper.to_array
        self.from_array = numpy_helper.from_array

    def consumers(self, name: str) -> list:
        return [n for n in self.graph.node if name in n.input]

    def const(self, name: str) -> np.ndarray | None:
        if name in self.init:
            return self.to_array(self.init[name])
        node = self.constants.get(name)
        if node is not None:
            for a in node.attribute:
                if a.name == "value":
                    return self.to_array(a.t)
        return None

    def uses(self, name: str) -> int:
        return sum(list(n.input).count(name) for n in self.graph.node) + (name in self.outputs)

    def set_initializer(self, name: str, value: np.ndarray) -> str:
        """A new initializer (never overwriting one another node may share) and its name."""
        base, i = name + "_folded", 0
        taken = set(self.init) | {o for n in self.graph.node for o in n.output}
        new = base
        while new in taken:
            i += 1
            new = f"{base}{i}"
        tensor = self.from_array(value, new)
        self.graph.initializer.append(tensor)
        self.init[new] = tensor
        return new


def _conv_params(g: _Graph, conv):
    """(W, b, out_channels, weight axis of the output channels), or None when not foldable."""
    if len(conv.input) < 2:
        return None
    w = g.const(conv.input[1])
    if w is None or w.dtype not in (np.float32, np.float64) or w.ndim < 3:
        return None
    if conv.op_type == "ConvTranspose":
        group = next((a.i for a in conv.attribute if a.name == "group"), 1)
        if group != 1:
            return None
        axis = 1
    else:
        axis = 0
    channels = w.shape[axis]
    b = g.const(conv.input[2]) if len(conv.input) > 2 and conv.input[2] else np.zeros(channels, w.dtype)
    if b is None or b.shape != (channels,):
        return None
    return w, b, channels, axis


def _fold_one(g: _Graph, conv, nxt) -> bool:
    params = _conv_params(g, conv)
    if params is None:
        return False
    w, b, channels, axis = params
    rank = w.ndim  # the output has the weight's rank (N, C, spatial...)
    dtype = w.dtype
    if nxt.op_type in ("Mul", "Add"):
        other = [i for i in nxt.input if i != conv.output[0]]
        if len(other) != 1 or list(nxt.input).count(conv.output[0]) != 1:
            return False
        c = g.const(other[0])
        if c is None or c.dtype != dtype:
            return False
        vec = _per_channel(c, channels, rank)
        if vec is None:
            return False
        if nxt.op_type == "Mul":
            shape = [1] * rank
            shape[axis] = channels
            w = (w.astype(np.float64) * vec.reshape(shape)).astype(dtype)
            b = (b.astype(np.float64) * vec).astype(dtype)
        else:
            b = (b.astype(np.float64) + vec).astype(dtype)
    elif nxt.op_type == "BatchNormalization":
        if len(nxt.output) > 1 and any(nxt.output[1:]):  # training-mode outputs
            return False
        vals = [g.const(i) for i in nxt.input[1:5]]
        if any(v is None or v.shape != (channels,) for v in vals):
            return False
        scale, beta, mean, var = (v.astype(np.float64) for v in vals)
        eps = next((a.f for a in nxt.attribute if a.name == "epsilon"), 1e-5)
        k = scale / np.sqrt(var + eps)
        shape = [1] * rank
        shape[axis] = channels
        w = (w.astype(np.float64) * k.reshape(shape)).astype(dtype)
        b = ((b.astype(np.float64) - mean) * k + beta).astype(dtype)
    else:
        return False
    inputs = list(conv.input[:2]) + ([] if len(conv.input) < 3 else [conv.input[2]])
    inputs[1] = g.set_initializer(conv.input[1], w)
    bias_name = g.set_initializer((conv.input[2] if len(conv.input) > 2 and conv.input[2] else conv.input[1] + "_b"), b)
    del conv.input[:]
    conv.input.extend([inputs[0], inputs[1], bias_name])
    # the conv now writes what the folded node wrote; the folded node goes
    out = nxt.output[0]
    conv.output[0] = out
    g.graph.node.remove(nxt)
    return True


def _prune_initializers(g: _Graph) -> None:
    used = {i for n in g.graph.node for i in n.input} | g.outputs
    keep = [i for i in g.graph.initializer if i.name in used]
    del g.graph.initializer[:]
    g.graph.initializer.extend(keep)
    # graph inputs that named dropped initializers (old IR) go with them
    names = {i.name for i in keep}
    dropped = set(g.init) - names
    inputs = [i for i in g.graph.input if i.name not in dropped]
    del g.graph.input[:]
    g.graph.input.extend(inputs)
    constants = [n for n in g.graph.node if not (n.op_type == "Constant" and n.output[0] not in used)]
    del g.graph.node[:]
    g.graph.node.extend(constants)


def fold_affine(model_bytes: bytes) -> tuple[bytes, FoldStats]:
    """The ONNX model with per-channel Mul/Add and BatchNormalization after Conv/ConvTranspose folded in."""
    import onnx

    model = onnx.load_from_string(bytes(model_bytes))
    g = _Graph(model)
    before = len(g.graph.node)
    folded: dict[str, int] = {}
    changed = True
    while changed:
        changed = False
        for conv in list(g.graph.node):
            if conv.op_type not in ("Conv", "ConvTranspose") or conv.output[0] in g.outputs:
                continue
            users = g.consumers(conv.output[0])
            if len(users) != 1 or g.uses(conv.output[0]) != 1:
                continue
            if _fold_one(g, conv, users[0]):
                folded[users[0].op_type] = folded.get(users[0].op_type, 0) + 1
                changed = True
    _prune_initializers(g)
    after = len([n for n in g.graph.node])
    return model.SerializeToString(), FoldStats(before, after, dict(sorted(folded.items())))

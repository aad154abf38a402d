"""Loop-invariant values of an ONNX `Loop` as outer-scope references, for OpenVINO.

paddle2onnx exports a decoder loop (SLANet's SLAHead: up to 500 GRU steps) with every weight the body
reads passed as a loop-carried value that the body hands back unchanged (body output name = body
input name). ONNX Runtime runs that; OpenVINO 2026.4's ONNX frontend refuses it ("Loop ... Check
'canonical_inputs.size() - control_inputs_count == loop_carried_dependencies.size()' failed"), since
it drops such pass-through body parameters. The rewrite is exact: a body may read any outer-scope
value, so each pass-through carried value is read from the Loop's own input instead, and leaves the
carried list (and the Loop's outputs, whose consumers then read the input it always equalled).

`hoist_loop_invariants(model) -> int` changes the ModelProto in place and returns how many values moved;
`onnx_for_openvino(path, scratch) -> path` is the file to hand OpenVINO (`path`, or the rewritten copy at
`scratch`), used by compiler/convert.py's IR conversion (the ONNX artifact keeps the source graph).
"""

from __future__ import annotations


def _rename_inputs(graph, rename: dict[str, str]) -> None:
    """Rename node inputs of `graph` and of its nested subgraphs (an If inside the body reads them too),
    stopping where a subgraph declares the same name itself."""
    import onnx

    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in rename:
                node.input[i] = rename[name]
        for attr in node.attribute:
            subgraphs = [attr.g] if attr.type == onnx.AttributeProto.GRAPH else \
                list(attr.graphs) if attr.type == onnx.AttributeProto.GRAPHS else []
            for sub in subgraphs:
                shadowed = {v.name for v in sub.input} | {o for n in sub.node for o in n.output}
                _rename_inputs(sub, {k: v for k, v in rename.items() if k not in shadowed})


def _hoist(graph) -> int:
    moved = 0
    for node in graph.node:
        if node.op_type != "Loop":
            continue
        body = next(a.g for a in node.attribute if a.name == "body")
        carried = len(node.input) - 2
        if len(body.input) != carried + 2 or len(body.output) < carried + 1:
            continue  # malformed: leave it for the backend to report
        keep, rename, replaced = [], {}, {}
        for k in range(carried):
            inner, outer = body.input[2 + k].name, node.input[2 + k]
            if outer and body.output[1 + k].name == inner:
                rename[inner] = outer
                replaced[node.output[k]] = outer
            else:
                keep.append(k)
        if not rename:
            continue
        _rename_inputs(body, rename)
        body_inputs = [body.input[0], body.input[1]] + [body.input[2 + k] for k in keep]
        body_outputs = [body.output[0]] + [body.output[1 + k] for k in keep] + list(body.output[1 + carried:])
        inputs = list(node.input[:2]) + [node.input[2 + k] for k in keep]
        outputs = [node.output[k] for k in keep] + list(node.output[carried:])
        del body.input[:], body.output[:], node.input[:], node.output[:]
        body.input.extend(body_inputs)
        body.output.extend(body_outputs)
        node.input.extend(inputs)
        node.output.extend(outputs)
        graph_outputs = {o.name for o in graph.output}
        for name, outer in replaced.items():
            if name in graph_outputs:  # a graph output must keep its name: an Identity carries it
                import onnx

                graph.node.append(onnx.helper.make_node("Identity", [outer], [name]))
        _rename_inputs(graph, {k: v for k, v in replaced.items()})
        moved += len(rename)
    for node in graph.node:
        if node.op_type == "Loop":
            moved += _hoist(next(a.g for a in node.attribute if a.name == "body"))
    return moved


def hoist_loop_invariants(model) -> int:
    """Move every pass-through loop-carried value of `model`'s Loops to an outer-scope read (in place)."""
    return _hoist(model.graph)


def onnx_for_openvino(path: str, scratch: str) -> str:
    """`path`, or where its graph has a Loop with pass-through carried values, the rewritten copy at `scratch`."""
    import onnx

    model = onnx.load(path)
    if not any(n.op_type == "Loop" for n in model.graph.node) or not hoist_loop_invariants(model):
        return path
    onnx.save(model, scratch)
    return scratch

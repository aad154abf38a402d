"""Loop-invariant values of an ONNX `Loop` as outer-scope references, for OpenVINO.

paddle2onnx exports a decoder loop (SLANet's SLAHead: up to 500 GRU steps) with every weight the body
reads passed as a loop-carried value that the body hands back unchanged (body output name = body
input name). ONNX Runtime runs that; OpenVINO 2026.4's ONNX frontend refuses it ("Loop ... Check
'canonical_inputs.size() - control_inputs_count == loop_carried_dependencies.size()' failed"), since
it drops such pass-through body parameters. The rewrite is exact: a body may read any outer-scope
value, so each pass-through carried value is read from the Loop's own input instead, and leaves the
carried list (and the Loop's outputs, whose consumers then read the input it always equalled).

paddle2onnx 2.1.0's Loop for a PIR while loop (paddle 3.0's export of SLAHead's `for i in range(tensor)`
with `break`) loads in neither runtime as written; the exact rewrites, each checked on the SLANet fixture
(tests/fixtures/make_table_structure_model.py):
- ONNX Runtime: the body condition is declared a scalar, the Loop's condition is [1] ("Mismatch between
  number of inferred and declared dimensions"): the declared shape goes (`_free_conditions`).
- OpenVINO: body inputs carry the names of the Loop's outer inputs, and its frontend resolves them to the
  outer values ("canonical inputs size (1) ... (11)"): they are renamed (`_unshadow`); two carried
  placeholders nobody reads change rank (scalar -> [N, C]) and the step counter goes [] -> [1], which the CPU
  plugin refuses ("Loop operation with dynamic rank"): the unread ones go (`_drop_dead_carried`), the counter
  starts as [1] (`_scalar_counters`).

`loadable_loops(path) -> int` rewrites a converted ONNX file in place for both runtimes (compiler/build.py,
after paddle2onnx); `hoist_loop_invariants(model) -> int` changes the ModelProto in place for OpenVINO and
returns how many values changed; `onnx_for_openvino(path, scratch) -> path` is the file to hand OpenVINO
(`path`, or the rewritten copy at `scratch`), used by compiler/convert.py's IR conversion (the ONNX artifact
keeps the source graph, after `loadable_loops`).
"""

from __future__ import annotations

from pathlib import Path


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


def _keep_carried(node, body, keep: list[int]) -> None:
    """Leave only the carried values `keep` (indices) in a Loop `node` and its `body`: their body inputs and
    outputs, the Loop's inputs and outputs; the condition, the counter and the scan outputs stay."""
    carried = len(node.input) - 2
    body_inputs = [body.input[0], body.input[1]] + [body.input[2 + k] for k in keep]
    body_outputs = [body.output[0]] + [body.output[1 + k] for k in keep] + list(body.output[1 + carried:])
    inputs = list(node.input[:2]) + [node.input[2 + k] for k in keep]
    outputs = [node.output[k] for k in keep] + list(node.output[carried:])
    del body.input[:], body.output[:], node.input[:], node.output[:]
    body.input.extend(body_inputs)
    body.output.extend(body_outputs)
    node.input.extend(inputs)
    node.output.extend(outputs)


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
        _keep_carried(node, body, keep)
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


def _scope_names(graph) -> set[str]:
    return ({v.name for v in graph.input} | {v.name for v in graph.initializer} |
            {o for n in graph.node for o in n.output})


def _unshadow(graph, outer: frozenset = frozenset()) -> int:
    """Give every Loop body input that shadows a name of an enclosing scope a name of its own.

    paddle2onnx 2.1.0 names a PIR while loop's body inputs after the Loop's own inputs (the body's carried
    `x` is the outer `x`). ONNX scoping makes the body's name win inside the body; OpenVINO 2026.4's ONNX
    frontend resolves such a name to the outer value instead, finds the body's parameters unused, drops them,
    and refuses the Loop ("The provided loop body graph canonical inputs size (1), does not match the sum of
    loop carried dependencies and two mandatory inputs (11)"). Renaming the body input and its reads inside
    the body is exact."""
    renamed = 0
    visible = outer | _scope_names(graph)
    for node in graph.node:
        if node.op_type != "Loop":
            continue
        body = next(a.g for a in node.attribute if a.name == "body")
        taken = set(visible) | _scope_names(body)
        rename = {}
        for value in body.input:
            if value.name in visible:
                new, k = f"{value.name}.body", 1
                while new in taken:
                    new, k = f"{value.name}.body{k}", k + 1
                taken.add(new)
                rename[value.name] = new
        if rename:
            _rename_inputs(body, rename)
            for value in list(body.input) + list(body.output):
                if value.name in rename:
                    value.name = rename[value.name]
            renamed += len(rename)
        renamed += _unshadow(body, frozenset(visible))
    return renamed


def _graph_reads(graph) -> set[str]:
    """Every name `graph` reads: node inputs, its outputs, and what nested subgraphs read."""
    import onnx

    names = {o.name for o in graph.output}
    for node in graph.node:
        names.update(node.input)
        for attr in node.attribute:
            subgraphs = [attr.g] if attr.type == onnx.AttributeProto.GRAPH else \
                list(attr.graphs) if attr.type == onnx.AttributeProto.GRAPHS else []
            for sub in subgraphs:
                names |= _graph_reads(sub)
    return names


def _drop_dead_carried(graph) -> int:
    """Drop loop-carried values that the body never reads and nothing reads after the loop.

    paddle2onnx carries dy2static's placeholders for values first assigned inside a PIR while loop (the last
    step's `structure_step` / `loc_step`): a scalar before the loop, a [N, C] tensor after a step. OpenVINO's CPU
    plugin refuses a Loop whose carried value changes rank ("Loop operation with dynamic rank"); a value nobody
    reads changes nothing when it goes."""
    dropped = 0
    for node in graph.node:
        if node.op_type != "Loop":
            continue
        body = next(a.g for a in node.attribute if a.name == "body")
        carried = len(node.input) - 2
        if len(body.input) != carried + 2 or len(body.output) < carried + 1:
            continue
        outer_reads = _graph_reads(graph)
        body_reads = {i for n in body.node for i in n.input} | set().union(
            *[_graph_reads(a.g) for n in body.node for a in n.attribute if a.type == 5] or [set()])
        dead = [k for k in range(carried) if body.input[2 + k].name not in body_reads
                and node.output[k] not in outer_reads and body.output[1 + k].name != body.input[2 + k].name]
        if not dead:
            continue
        keep = [k for k in range(carried) if k not in dead]
        _keep_carried(node, body, keep)
        dropped += len(dead)
    return dropped


_ELEMENTWISE = ("Add", "Sub", "Mul", "Div", "Cast", "Identity")


def _constant_shapes(graph) -> dict[str, tuple]:
    from onnx import numpy_helper

    shapes = {i.name: tuple(i.dims) for i in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant" and len(n.output) == 1:
            for a in n.attribute:
                if a.name == "value":
                    shapes[n.output[0]] = tuple(numpy_helper.to_array(a.t).shape)
    return shapes


def _scalar_counters(graph) -> int:
    """Start from [1] a loop-carried value that enters as a rank-0 constant and that the body makes [1].

    paddle2onnx writes a PIR while loop's step counter `i` as a scalar constant before the loop and `i + 1`
    in the body as a Mul / Add with [1] constants, so the carried value is [] on entry and [1] after the first
    step; OpenVINO's CPU plugin refuses the Loop ("Loop operation with dynamic rank"). The body's shape for the
    value is followed through element-wise ops (Add, Sub, Mul, Div, Cast, Identity) with constant operands
    only; where it is [1], the loop starts from the same single value as [1] (an initializer), so every step
    computes the same values (a loop that ran no step would hand out [1] instead of [])."""
    import numpy as np
    from onnx import numpy_helper

    outer = _constant_shapes(graph)
    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant" and len(n.output) == 1:
            for a in n.attribute:
                if a.name == "value":
                    values[n.output[0]] = numpy_helper.to_array(a.t)
    changed = 0
    for node in graph.node:
        if node.op_type != "Loop":
            continue
        body = next(a.g for a in node.attribute if a.name == "body")
        inner = {**outer, **_constant_shapes(body)}
        for k, initial in enumerate(list(node.input[2:])):
            if initial not in values or values[initial].ndim != 0:
                continue
            shapes = {**inner, body.input[2 + k].name: ()}
            for n in body.node:
                if n.op_type in _ELEMENTWISE and all(i in shapes for i in n.input):
                    shapes[n.output[0]] = tuple(np.broadcast_shapes(*(shapes[i] for i in n.input)))
            if shapes.get(body.output[1 + k].name) != (1,):
                continue
            name = f"{initial}.as_1d"
            if name not in values:
                values[name] = values[initial].reshape([1])
                graph.initializer.append(numpy_helper.from_array(values[name], name))
            node.input[2 + k] = name
            changed += 1
    return changed


def hoist_loop_invariants(model) -> int:
    """Prepare `model`'s Loops for OpenVINO (in place): give shadowing body inputs their own names, drop
    carried values nobody reads, start scalar step counters as [1], and move every pass-through loop-carried
    value to an outer-scope read; returns how many values were changed."""
    return (_unshadow(model.graph) + _drop_dead_carried(model.graph) + _scalar_counters(model.graph)
            + _hoist(model.graph))


def _free_conditions(graph) -> int:
    """Drop the declared shape of each Loop body's condition input and output (their element type stays).

    paddle2onnx 2.1.0 declares a PIR while loop's body condition as a scalar while the Loop's condition input
    is a [1] tensor; ONNX Runtime's type inference then refuses the model ("Mismatch between number of
    inferred and declared dimensions. inferred=1 declared=0"). A declared shape is an annotation: without it
    each runtime infers the shape from the Loop's input, and no value changes."""
    import onnx

    freed = 0
    for node in graph.node:
        for attr in node.attribute:
            subgraphs = [attr.g] if attr.type == onnx.AttributeProto.GRAPH else \
                list(attr.graphs) if attr.type == onnx.AttributeProto.GRAPHS else []
            for sub in subgraphs:
                freed += _free_conditions(sub)
        if node.op_type != "Loop":
            continue
        body = next(a.g for a in node.attribute if a.name == "body")
        for value in (body.input[1:2] + body.output[:1]) if len(body.input) > 1 else []:
            if value.type.tensor_type.HasField("shape"):
                value.type.tensor_type.ClearField("shape")
                freed += 1
    return freed


def loadable_loops(path) -> int:
    """Rewrite the ONNX file at `path` in place so both CPU runtimes load its Loops (exact rewrites: body
    inputs that shadow outer names renamed, the body condition's declared shape dropped); returns how many
    values changed (0: file untouched)."""
    import onnx

    data = Path(path).read_bytes()
    if b'"\x04Loop' not in data:  # NodeProto.op_type (field 4) == "Loop": no parse for loop-free models
        return 0
    model = onnx.load_model_from_string(data)
    changed = _unshadow(model.graph) + _free_conditions(model.graph)
    if changed:
        onnx.save(model, str(path))
    return changed


def onnx_for_openvino(path: str, scratch: str) -> str:
    """`path`, or where its graph has a Loop with pass-through carried values, the rewritten copy at `scratch`."""
    import onnx

    model = onnx.load(path)
    if not any(n.op_type == "Loop" for n in model.graph.node) or not hoist_loop_invariants(model):
        return path
    onnx.save(model, scratch)
    return scratch

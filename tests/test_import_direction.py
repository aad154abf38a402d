"""The layers import one way: core ← licensing ← runtime_min ← recipes ← compiler, with no circles.

Read from the source (every import statement, those inside functions too), so a lazy import that
breaks the direction is caught as surely as a top-level one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Each layer, in order, may import itself and the layers before it, nothing after.
LAYERS = ["core", "licensing", "runtime_min", "recipes", "compiler"]


def _modules() -> dict[str, Path]:
    found = {}
    for folder in LAYERS:
        for path in (REPO / folder).rglob("*.py"):
            parts = [p for p in path.relative_to(REPO / folder).with_suffix("").parts if p != "__init__"]
            found[".".join(["hpi", folder, *parts])] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> set[str]:
    """The hpi modules a file imports (`from pkg import module` counts as the module)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names if alias.name.startswith("hpi.")}
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:  # relative: resolved against the importing module's package
                target = ".".join(package[:len(package) - node.level + 1] + ([target] if target else []))
            if target.startswith("hpi."):
                for alias in node.names:
                    name = f"{target}.{alias.name}"
                    out.add(name if name in MODULES else target)
    return out


GRAPH = {name: _imports(name, path) - {name} for name, path in MODULES.items()}


def _layer(module: str) -> int:
    return LAYERS.index(module.split(".")[1])


def test_every_import_points_down_the_layers():
    wrong = sorted(f"{a} imports {b}" for a, deps in GRAPH.items() for b in deps
                   if b.startswith("hpi.") and _layer(b) > _layer(a))
    assert not wrong, "imports against the layer order " + " ← ".join(LAYERS) + ":\n" + "\n".join(wrong)


def test_no_import_circles():
    """Tarjan's strongly connected components over the module graph: each must be a single module."""
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH.get(v, ()):
            if w not in GRAPH:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            visit(module)
    assert not circles, f"import circles: {circles}"


def test_the_licensing_client_needs_no_runtime_and_no_numpy():
    """A licensed machine activating a serial loads licensing and the leaf only."""
    code = ("import sys, hpi.licensing.client; "
            "print(sorted(m for m in sys.modules if m == 'numpy' or m.startswith(('hpi.runtime_min', "
            "'hpi.compiler', 'hpi.recipes'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"import hpi.licensing.client also loaded {out.strip()}"


def test_the_runtime_package_face_is_lazy():
    code = "import sys, hpi.runtime_min.targets; print('numpy' in sys.modules, 'hpi.runtime_min.api' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]

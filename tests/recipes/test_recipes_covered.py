"""Every registered recipe has a PaddleX parity test (like optimum's "every config is tested").

Parity test modules declare what they cover with module-level `PARITY_FAMILIES` / `PARITY_PIPELINES`
tuples; they are read with `ast`, so this check needs neither PaddleX nor the test images.
"""

from __future__ import annotations

import ast

from conftest import REPO
from hpi.recipes.base import all_model_recipes, all_pipeline_recipes


def _declared(name: str) -> set[str]:
    covered = set()
    for path in (REPO / "tests").rglob("test_parity_*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
                covered |= set(ast.literal_eval(node.value))
    return covered


def test_every_model_family_has_a_parity_test():
    families = {recipe.family for recipe in all_model_recipes()}
    missing = families - _declared("PARITY_FAMILIES")
    assert not missing, f"recipes without a PaddleX parity test: {sorted(missing)}"


def test_every_pipeline_has_a_parity_test():
    missing = {recipe.name for recipe in all_pipeline_recipes()} - _declared("PARITY_PIPELINES")
    assert not missing, f"pipelines without a PaddleX parity test: {sorted(missing)}"

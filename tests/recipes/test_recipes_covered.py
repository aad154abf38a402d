"""Every registered recipe has a PaddleX parity test (like optimum's "every config is tested"), and every
model name a recipe accepts is compiled by some test.

Parity test modules declare what they cover with module-level `PARITY_FAMILIES` / `PARITY_PIPELINES`
tuples, and every test module under tests/ the model names it compiles with `COMPILED_MODELS` (a tuple, or a
dict whose keys are the names), and with `DICTIONARY_SIBLINGS` the names that differ from a compiled one only in
their dictionary (test_model_names.py holds each to it); they are read with `ast`, so this check needs neither
PaddleX nor the test images.
"""

from __future__ import annotations

import ast

from conftest import REPO
from hpi.recipes.base import all_model_recipes, all_pipeline_recipes


def _declared(name: str, pattern: str = "test_parity_*.py") -> set[str]:
    covered = set()
    for path in (REPO / "tests").rglob(pattern):
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


def test_every_model_name_a_recipe_accepts_is_compiled_by_a_test():
    names = {name for recipe in all_model_recipes() for name in recipe.model_names}
    compiled = _declared("COMPILED_MODELS", "test_*.py") | _declared("DICTIONARY_SIBLINGS", "test_*.py")
    missing = names - compiled
    assert not missing, (f"model names no test compiles (declare them in a test's COMPILED_MODELS, e.g. "
                         f"tests/recipes/test_model_names.py): {sorted(missing)}")
    unknown = compiled - names
    assert not unknown, f"COMPILED_MODELS names no recipe accepts: {sorted(unknown)}"

"""The one line a failed child process's output becomes in a CompileError (compiler/child_output.py)."""

from __future__ import annotations

from hpi.compiler.child_output import MAX_CHARS, last_error_line

P2O_LOG = """[Paddle2ONNX] Start to parse PaddlePaddle model...
[ERROR] There's 2 ops are not supported yet
=========== foo_op ===========
=========== bar_op ===========
  RuntimeError: conversion failed

"""


def test_last_non_blank_line_stripped_and_cut():
    assert last_error_line("a\n  ValueError: bad  \n\n") == "ValueError: bad"
    assert len(last_error_line("x" * 1000)) == MAX_CHARS


def test_a_tools_verdict_comes_before_its_details_and_before_the_last_error():
    assert last_error_line(P2O_LOG, summary="not supported", marker="rror") == \
        "[ERROR] There's 2 ops are not supported yet"
    assert last_error_line(P2O_LOG, marker="rror") == "RuntimeError: conversion failed"
    assert last_error_line("one\nError: two\nthree", marker="rror") == "Error: two"


def test_fallback_when_the_child_printed_nothing():
    assert last_error_line(" \n", "exit 3") == "exit 3"
    assert last_error_line("") == ""

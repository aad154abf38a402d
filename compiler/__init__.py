"""hpi's compiler: PaddleX model dirs and pipeline configs → signed, verified bundles.

The compiler's heavy dependencies (Paddle, paddle2onnx, onnx, typer...) come with the `compiler` extra;
the `hpi-compile` entry point checks for them first, so a runtime-only install gets one line naming the
extra instead of a traceback.
"""

from __future__ import annotations

import importlib.util
import sys

# What `hpi-compile` imports (directly or in its child processes), as import names.
REQUIRED_MODULES = ("typer", "rich", "paddle", "paddle2onnx", "onnx", "onnxslim", "openvino", "onnxruntime")
EXTRA = "pip install 'hpi-aot[compiler]'"


def missing_modules() -> list[str]:
    return [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]


def main(argv: list[str] | None = None) -> int:
    """`hpi-compile`, after checking that the compiler extra is installed."""
    missing = missing_modules()
    if missing:
        print(f"hpi-compile: error: the compiler is not installed here (missing {', '.join(missing)}): {EXTRA}",
              file=sys.stderr)
        return 2
    from hpi.compiler.cli import main as cli_main

    return cli_main(argv)

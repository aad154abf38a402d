"""Conversion stages: onnx_from_paddle, simplify, ir_from_onnx. Each takes a file and writes one.

paddle2onnx runs in a child process: it can abort the interpreter on models it cannot handle, and a
second paddle2onnx version can be put first on its path. Alternative converter versions live in
`$HPI_TOOLS_DIR/paddle2onnx-<version>` (installed by scripts/setup.sh with `pip --target`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from hpi.compiler.child_output import last_error_line
from hpi.compiler.forkserver import run_python
from hpi.core.errors import CompileError


def tools_dir() -> Path:
    return Path(os.environ.get("HPI_TOOLS_DIR", Path.home() / ".cache" / "hpi" / "tools"))


@dataclass(frozen=True)
class Converter:
    version: str
    path: Path | None  # prepended to PYTHONPATH; None = the installed paddle2onnx

    @property
    def reads_pir(self) -> bool:
        return int(self.version.split(".")[0]) >= 2

    def accepts(self, fmt: str) -> bool:
        return fmt == "paddle_legacy" or (fmt == "paddle_pir" and self.reads_pir)

    def to_dict(self) -> dict:
        return {"name": "paddle2onnx", "version": self.version}


def converters() -> list[Converter]:
    """The installed paddle2onnx first, then side installs, newest last."""
    found = []
    try:
        found.append(Converter(version("paddle2onnx"), None))
    except PackageNotFoundError:
        pass
    for side in sorted(tools_dir().glob("paddle2onnx-*")):
        ver = side.name.split("-", 1)[1]
        if (side / "paddle2onnx").is_dir() and all(c.version != ver for c in found):
            found.append(Converter(ver, side))
    if not found:
        raise CompileError("paddle2onnx is not installed; install the compiler with `pip install 'hpi-aot[compiler]'`")
    return found


def onnx_from_paddle(model_file: Path, params_file: Path, out: Path, converter: Converter, opset: int) -> Path:
    env = dict(os.environ)
    if converter.path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(converter.path), env.get("PYTHONPATH")]))
    args = ["--model_dir", str(model_file.parent), "--model_filename", model_file.name,
            "--params_filename", params_file.name, "--save_file", str(out), "--opset_version", str(opset),
            "--enable_onnx_checker", "True"]
    code = "import sys; from paddle2onnx.command import main; sys.argv = ['paddle2onnx'] + sys.argv[1:]; main()"
    proc = run_python(["-c", code, *args], env=env)
    if proc.returncode != 0 or not out.is_file():
        reason = last_error_line(proc.stderr + proc.stdout, f"exit {proc.returncode}", summary="not supported",
                                 marker="rror")  # Error or error
        raise CompileError(f"paddle2onnx {converter.version} (opset {opset}) failed: {reason}")
    return out


def check_operators(path: Path) -> None:
    """Refuse operators outside the ONNX standard (no CPU backend runs them), naming each node."""
    import onnx
    from onnx import defs

    graph = onnx.load(str(path), load_external_data=False).graph
    unknown = [f"{n.op_type} (domain {n.domain or 'ai.onnx'}) at node {n.name or '?'}" for n in graph.node
               if not defs.has(n.op_type, n.domain or "")]
    if unknown:
        raise CompileError(f"{path.name}: unsupported operator {'; '.join(unknown[:5])}"
                           f"{f' and {len(unknown) - 5} more' if len(unknown) > 5 else ''}; no backend implements "
                           "it (rewrite the model with standard ONNX ops or export it from Paddle)")


def simplify(src: Path, out: Path, simplifier: str) -> Path:
    """`onnxslim` (dynamic dims kept: no input shapes are fixed) or `none` (a plain copy)."""
    import onnx

    model = onnx.load(str(src))
    if simplifier == "onnxslim":
        import onnxslim

        model = onnxslim.slim(model)
    elif simplifier != "none":
        raise CompileError(f"unknown simplifier {simplifier!r}; available: onnxslim, none")
    onnx.save(model, str(out))
    return out


def ir_from_onnx(src: Path, out_xml: Path) -> Path:
    """OpenVINO IR with fp32 weights (save_model would compress them to fp16 by default).

    Runs in a fresh process: OpenVINO names unnamed nodes from a process-wide counter, so only a
    fresh process gives the same IR bytes for the same ONNX on every compile. Standard ONNX operators
    OpenVINO's frontend lacks are converted by compiler/ov_extensions.py; Loops that carry values through
    unchanged are rewritten first (compiler/loops.py), which OpenVINO's frontend otherwise refuses.
    """
    out_xml.parent.mkdir(parents=True, exist_ok=True)
    # A graph with Loops goes through compiler/loops.py first (in the child: no model in this process).
    code = ("import sys, openvino as ov; from hpi.compiler.ov_extensions import extensions; "
            "from hpi.compiler.loops import onnx_for_openvino; "
            "ov.save_model(ov.convert_model(onnx_for_openvino(sys.argv[1], sys.argv[3]), extension=extensions()), "
            "sys.argv[2], compress_to_fp16=False)")
    proc = run_python(["-c", code, str(src), str(out_xml), str(out_xml.parent / "loops-hoisted.onnx")])
    if proc.returncode != 0 or not out_xml.is_file():
        raise CompileError(f"OpenVINO cannot convert {src.name}: "
                           f"{last_error_line(proc.stderr, f'exit {proc.returncode}')}")
    return out_xml


def tool_versions() -> dict[str, str]:
    out = {}
    for name in ("paddlepaddle", "paddle2onnx", "onnx", "onnxslim", "openvino", "onnxruntime"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out

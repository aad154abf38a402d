"""`hpi-compile SOURCE`: a PaddleX model dir or pipeline config → one signed, verified `.hpi` bundle."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
err = Console(stderr=True, highlight=False, log_path=False)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def _images(paths: list[Path]) -> list[Path]:
    from hpi.runtime_min.api import expand_inputs

    found = [Path(p) for p in expand_inputs([str(p) for p in paths])]
    missing = [str(p) for p in found if not p.is_file()]
    if missing:
        from hpi.runtime_min.errors import UsageError

        raise UsageError(f"calibration image(s) not found: {', '.join(missing)}")
    return found


@app.command()
def compile(
    source: Path = typer.Argument(..., help="PaddleX model dir (inference.yml + inference.json/.pdmodel + "
                                            ".pdiparams, or inference.onnx) or pipeline config (e.g. OCR.yaml)"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="bundle path (default: ./<name>.hpi)"),
    target: List[str] = typer.Option(["cpu"], "--target", "-t", help="deployment target; repeatable (cpu)"),
    calibration_images: List[Path] = typer.Option(
        [], "--calibration-images", "-c", help="images (files, folders, globs) to verify on, besides the "
                                               "profile's min/opt/max shapes; repeatable"),
    converter: List[str] = typer.Option(
        [], "--converter", help="paddle2onnx version to try, in order of preference; repeatable "
                                "(default: every installed one, the installed package first)"),
    signing_key: Optional[Path] = typer.Option(None, help="Ed25519 private key (default: $HPI_SIGNING_KEY or "
                                                          "~/.config/hpi/signing_key.pem)"),
    sign: bool = typer.Option(True, "--sign/--no-sign", help="sign the bundle (an unsigned one needs "
                                                             "hpi-run --allow-unsigned)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="print only the bundle path"),
):
    """Convert, verify against Paddle, and seal a PaddleX model or pipeline into one .hpi bundle.

    Each model goes paddle2onnx → onnxslim → OpenVINO IR; every artifact is loaded in the runtime's own
    backends and compared with Paddle Inference on the profile's min/opt/max shapes and the calibration
    images. A failing candidate is retried with another opset/converter/simplifier, else refused.
    """
    from hpi.compiler.build import CompileOptions, compile_model_dir, compile_pipeline
    from hpi.compiler.bundle_writer import write_bundle
    from hpi.compiler.source import read_model_dir, read_pipeline_config
    from hpi.licensing.signing import default_signing_key_path, load_private_key
    from hpi.runtime_min.errors import UsageError

    start = time.perf_counter()
    key = load_private_key(signing_key or default_signing_key_path()) if sign else None
    options = CompileOptions(tuple(target), tuple(_images(calibration_images)), tuple(converter))
    status = err.status("compiling", spinner="dots") if not quiet else None

    def log(message: str) -> None:
        if status:
            status.update(message)
            err.log(message)

    if status:
        status.start()
    try:
        if source.is_dir():
            src = read_model_dir(source)
            manifest, members = compile_model_dir(src, options, log)
            name = src.model_name
        elif source.is_file():
            src = read_pipeline_config(source)
            manifest, members = compile_pipeline(src, options, log)
            name = source.stem
        else:
            raise UsageError(f"{source} not found; expected a PaddleX model dir or pipeline YAML")
        out = output or Path(f"{name}.hpi")
        log(f"writing {out}")
        write_bundle(out, manifest, members, key)
    finally:
        if status:
            status.stop()
    if not quiet:
        size = out.stat().st_size / 1e6
        signed = "signed" if key else "UNSIGNED"
        err.print(f"[green]✓[/] {out} ({size:.1f} MB, {len(members)} members, {signed}) "
                  f"in {time.perf_counter() - start:.1f} s")
    print(out)


def main(argv: list[str] | None = None) -> int:
    from hpi.runtime_min.errors import run_cli

    return run_cli("hpi-compile", lambda: app(args=argv, standalone_mode=False))


if __name__ == "__main__":
    sys.exit(main())

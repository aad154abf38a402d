"""`hpi-compile SOURCE`: a PaddleX model dir or pipeline config → one signed, verified `.hpi` bundle."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

# Plain click help (rich_markup_mode=None): readable at 80 columns in a pipe or a CI log, no cut names.
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
err = Console(stderr=True, highlight=False, log_path=False)


def _images(paths: list[Path]) -> list[Path]:
    from hpi.runtime_min.api import expand_inputs

    found = [Path(p) for p in expand_inputs([str(p) for p in paths])]
    missing = [str(p) for p in found if not p.is_file()]
    if missing:
        from hpi.core.errors import UsageError

        raise UsageError(f"calibration image(s) not found: {', '.join(missing)}")
    return found


def _comma_list(values: list[str]) -> tuple[str, ...]:
    """`--opt a --opt b` and `--opt a,b` alike."""
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


@app.command()
def compile(
    source: Path = typer.Argument(..., metavar="SOURCE", help="PaddleX model dir (inference.yml + inference.json/.pdmodel + "
                                            ".pdiparams, or inference.onnx) or pipeline config (e.g. OCR.yaml)"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE", help="bundle path (default: ./<name>.hpi)"),
    target: List[str] = typer.Option(
        ["cpu"], "--target", "-t", metavar="TARGET", help="deployment target; repeatable, one bundle holds artifacts for each: cpu, "
                                        "gpu_cuda13, gpu_cuda12, gpu_cuda118_cudnn86 (docs/targets.md)"),
    tensorrt: str = typer.Option(
        "prebuilt", "--tensorrt", metavar="MODE", help="GPU targets: 'prebuilt' engines built and verified here (needs TensorRT "
                                       "and the target GPU), 'on-first-run' (the deployment GPU builds, verifies "
                                       "and caches them once), or 'off' (ONNX Runtime CUDA only)"),
    tensorrt_version_compatible: bool = typer.Option(
        False, "--tensorrt-version-compatible", help="build version-compatible engines (they also run on the "
                                                     "44 MB lean TensorRT runtime and later TensorRT versions)"),
    cpu_backend: List[str] = typer.Option(
        [], "--cpu-backend", metavar="BACKEND", help="CPU backend whose artifacts the bundle ships: openvino (IR), onnxruntime "
                                  "(ONNX); repeatable or comma-separated (default: both). GPU targets still "
                                  "ship the ONNX they run (docs/bundle-format.md)"),
    golden_case: str = typer.Option(
        "min", "--golden-case", metavar="CORNER", help="profile corner stored for `hpi verify --self-test`: min (smallest "
                                     "bundle), opt or max"),
    calibration_images: List[Path] = typer.Option(
        [], "--calibration-images", "-c", metavar="PATH", help="images (files, folders, globs) to verify on, besides the "
                                               "profile's min/opt/max shapes; repeatable"),
    converter: List[str] = typer.Option(
        [], "--converter", metavar="VERSION", help="paddle2onnx version to try, in order of preference; repeatable "
                                "(default: every installed one, the installed package first)"),
    signing_key: Optional[Path] = typer.Option(None, metavar="FILE", help="Ed25519 private key (default: $HPI_SIGNING_KEY or "
                                                          "~/.config/hpi/signing_key.pem)"),
    sign: bool = typer.Option(True, "--sign/--no-sign", help="sign the bundle (an unsigned one needs "
                                                             "hpi-run --allow-unsigned)"),
    license_product: Optional[str] = typer.Option(
        None, "--license-product", metavar="PRODUCT", help="require a license certificate for this product to run the bundle"),
    license_issuer: List[Path] = typer.Option(
        [], "--license-issuer", metavar="FILE", help="public key (.pub) of an issuer whose certificates the bundle "
                                                    "accepts; repeatable (default: the issuer key beside "
                                                    "$HPI_ISSUER_KEY or ~/.config/hpi/issuer/issuer_key.pem)"),
    encrypt: bool = typer.Option(False, "--encrypt", help="also encrypt the models and golden tensors (AES-256-GCM) "
                                                          "with a key of the bundle's own, wrapped under the "
                                                          "product's content key; needs --license-product"),
    license_db: Optional[str] = typer.Option(None, "--license-db", metavar="DB", help="issuer database holding the product's "
                                                                        "content key (default: $HPI_LICENSE_DB)"),
    cache: bool = typer.Option(True, "--cache/--no-cache", help="reuse models compiled before from identical "
                                                                "inputs ($HPI_CACHE_DIR, see `hpi cache info`)"),
    report: Optional[Path] = typer.Option(None, "--report", metavar="FILE", help="write a JSON report (artifacts, hashes, "
                                                                 "verification figures, timings, warnings), also "
                                                                 "on failure; schema: docs/compile-report.schema.json"),
    json_output: bool = typer.Option(False, "--json", help="print the report as JSON on stdout instead of the path"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="print only the bundle path"),
):
    """Convert, verify against Paddle, and seal a PaddleX model or pipeline into one .hpi bundle.

    Each model goes paddle2onnx → onnxslim → OpenVINO IR; every artifact is loaded in the runtime's own
    backends and compared with Paddle Inference on the profile's min/opt/max shapes and the calibration
    images. A failing candidate is retried with another opset/converter/simplifier, else refused.
    Exit codes: 2 usage, 10 conversion, 11 verification (README.md).
    """
    from hpi.compiler.build import CompileOptions
    from hpi.compiler.cache import CompileCache
    from hpi.compiler.report import CompileReport

    quiet = quiet or json_output
    status = None if quiet else err.status("compiling", spinner="dots")

    def log(message: str) -> None:
        if status:
            status.update(message)
            err.log(message)

    compile_report = CompileReport(log)
    manifest = out = None
    if status:
        status.start()
    try:
        options = CompileOptions(tuple(target), tuple(_images(calibration_images)), tuple(converter),
                                 license_product, encrypt, license_db, tensorrt, tensorrt_version_compatible,
                                 cpu_backends=_comma_list(cpu_backend), golden_case=golden_case,
                                 license_issuers=tuple(license_issuer))
        manifest, out = _compile(source, output, options, signing_key, sign, CompileCache() if cache else None,
                                 compile_report)
    except Exception as exc:
        if report:
            _write_json(report, compile_report.to_dict(error=exc))
        raise
    finally:
        if status:
            status.stop()
    result = compile_report.to_dict(manifest, out)
    if report:
        _write_json(report, result)
    if json_output:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    if not quiet:
        size = out.stat().st_size / 1e6
        signed = "signed" if sign else "UNSIGNED"
        err.print(f"[green]✓[/] {out} ({size:.1f} MB, {len(manifest['members'])} members, {signed}) "
                  f"in {result['seconds']:.1f} s")
    print(out)


def _compile(source, output, options, signing_key, sign, cache, report):
    from hpi.compiler.build import compile_model_dir, compile_pipeline
    from hpi.core.bundle_format import write_bundle
    from hpi.compiler.source import read_model_dir, read_pipeline_config
    from hpi.core.signing import default_signing_key_path, load_private_key
    from hpi.core.errors import UsageError

    key = load_private_key(signing_key or default_signing_key_path()) if sign else None
    if source.is_dir():
        src = read_model_dir(source)
        manifest, members = compile_model_dir(src, options, report, cache)
        name = src.model_name
    elif source.is_file():
        manifest, members = compile_pipeline(read_pipeline_config(source), options, report, cache)
        name = source.stem
    else:
        raise UsageError(f"{source} not found; expected a PaddleX model dir or pipeline YAML")
    out = output or Path(f"{name}.hpi")
    with report.stage("bundle", "write", f"writing {out}"):
        manifest = write_bundle(out, manifest, members, key)
    return manifest, out


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from hpi.core.errors import run_cli

    return run_cli("hpi-compile", lambda: app(args=argv, standalone_mode=False))


if __name__ == "__main__":
    sys.exit(main())

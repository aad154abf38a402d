"""`hpi-run BUNDLE --input PATH...`: run a bundle's pipeline on images.

argparse rather than typer: the runtime stays small and starts fast. Results go to stdout as one JSON
object per line (PaddleX's fields); progress and errors go to stderr as one line each.
Exit codes: 0 all inputs done (or some, with the bad ones reported), 6 every input failed, others per
error class (README.md).
"""

from __future__ import annotations

import argparse
import json
import sys


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hpi-run",
        description="Run a compiled hpi bundle (.hpi) on images: verifies its signature, picks a backend, "
                    "prints PaddleX-style JSON results.",
        epilog="example: hpi-run ocr.hpi --input photo.jpg scans/ 'shots/*.png' --output out/ --save-vis out/",
    )
    p.add_argument("bundle", help="the .hpi file made by hpi-compile")
    p.add_argument("--input", "-i", nargs="+", required=True, metavar="PATH",
                   help="image files, folders of images, or glob patterns")
    p.add_argument("--output", "-o", metavar="DIR", help="write one <image>_res.json per image into DIR")
    p.add_argument("--save-vis", metavar="DIR", help="write one <image>_res.png with boxes and texts into DIR")
    p.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto",
                   help="run on the bundle's GPU target or its cpu target (default auto: GPU when a GPU backend "
                        "works here, else cpu)")
    p.add_argument("--backend", help="inference backend (default: the bundle's choice among those that work here): "
                                     "openvino, onnxruntime, tensorrt")
    p.add_argument("--threads", type=int, metavar="N", help="CPU threads per model (default: backend's)")
    p.add_argument("--trusted-key", action="append", default=[], metavar="FILE",
                   help="public key (PEM) or folder of *.pub keys to trust, in addition to $HPI_TRUSTED_KEYS "
                        "and ~/.config/hpi/trusted_keys")
    p.add_argument("--allow-unsigned", action="store_true", help="accept a bundle that carries no signature")
    p.add_argument("--serial-number", metavar="SERIAL", help="serial number of the license a license-bound bundle "
                                                             "needs (docs/licensing.md)")
    p.add_argument("--update-license", action="store_true", help="activate the serial number online first and "
                                                                 "install the certificate")
    p.add_argument("--license-server", metavar="URL", help="license server (default: $HPI_LICENSE_SERVER)")
    p.add_argument("--quiet", "-q", action="store_true", help="do not print results to stdout")
    return p


def _err(message: str) -> None:
    print(f"hpi-run: {message}", file=sys.stderr)


def _run(args) -> None:
    from hpi.runtime_min.api import expand_inputs, open_bundle
    from hpi.runtime_min.errors import InputError

    pipeline = open_bundle(args.bundle, backend=args.backend, device=args.device, trusted_keys=args.trusted_key,
                           allow_unsigned=args.allow_unsigned, num_threads=args.threads,
                           serial_number=args.serial_number, update_license=args.update_license,
                           license_server=args.license_server)
    for note in pipeline.notes:
        _err(f"not using {note}")
    models = ", ".join(f"{role}: {d['backend']} {d['precision']}" for role, d in pipeline.describe().items())
    _err(f"{args.bundle}: {pipeline.bundle.manifest['pipeline']['name']} on {pipeline.target} ({models})")
    done = failed = 0
    for item in expand_inputs(args.input):
        try:
            result = pipeline.predict_one(item)
        except InputError as exc:
            failed += 1
            _err(f"skipped {exc}")
            continue
        done += 1
        if not args.quiet:
            print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
        if args.output:
            result.save_to_json(args.output)
        if args.save_vis:
            result.save_to_img(args.save_vis)
    if failed and done:
        _err(f"{done} input(s) done, {failed} failed")
    elif failed:
        raise InputError(f"all {failed} input(s) failed")


def main(argv: list[str] | None = None) -> int:
    from hpi.runtime_min.errors import run_cli

    args = _parser().parse_args(argv)
    return run_cli("hpi-run", lambda: _run(args))


if __name__ == "__main__":
    sys.exit(main())

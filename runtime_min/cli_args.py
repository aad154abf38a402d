"""Options shared by the deployment commands (`hpi-run`, `hpi verify`, `hpi inspect`), declared once.

Each function adds one argparse group, as Polygraphy's `tools/args` groups do, so an option has one
spelling, arity and default in every command that takes it. The standard library only: these
commands run on a runtime-only install.
"""

from __future__ import annotations

import argparse

BACKENDS = "openvino, onnxruntime, tensorrt"


def add_trust_args(parser: argparse.ArgumentParser, *, allow_unsigned: bool = True):
    """Which bundle signers to accept: `--trusted-key` (repeatable) and `--allow-unsigned`."""
    group = parser.add_argument_group("bundle trust")
    group.add_argument("--trusted-key", action="append", default=[], metavar="FILE",
                       help="public key (PEM) or folder of *.pub keys to trust, in addition to "
                            "$HPI_TRUSTED_KEYS and ~/.config/hpi/trusted_keys; repeatable")
    if allow_unsigned:
        group.add_argument("--allow-unsigned", action="store_true", help="accept a bundle that carries no signature")
    return group


def add_run_args(parser: argparse.ArgumentParser, *, backend_help: str, device: bool = True):
    """Where and how models run: `--backend` (repeatable), `--device`, `--threads`.

    `backend_help` says what several backends mean to this command (`one_backend` for a command
    that runs on one)."""
    group = parser.add_argument_group("run")
    group.add_argument("--backend", action="append", default=[], metavar="NAME",
                       help=f"inference backend: {BACKENDS}; {backend_help}")
    if device:
        group.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto",
                           help="run on the bundle's GPU target or its cpu target (default auto: GPU when a GPU "
                                "backend works here, else cpu)")
    group.add_argument("--threads", type=int, metavar="N", help="CPU threads per model (default: backend's)")
    return group


def one_backend(args: argparse.Namespace, prog: str) -> str | None:
    """The single `--backend` of a command that runs on one; None: the bundle's choice."""
    from hpi.core.errors import UsageError

    if len(args.backend) > 1:
        raise UsageError(f"--backend given {len(args.backend)} times ({', '.join(args.backend)}); {prog} runs on "
                         "one backend: give --backend once")
    return args.backend[0] if args.backend else None

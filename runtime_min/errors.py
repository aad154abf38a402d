"""Typed errors shared by the compiler, the runtime and licensing.

Each class carries the exit code the CLIs use for it, so one failure class always exits the same way
(documented in README.md). Messages are one line: what was expected, what was found, the fix.
"""


class HpiError(Exception):
    exit_code = 1


class UsageError(HpiError):
    exit_code = 2


class BundleError(HpiError):
    """The bundle file is malformed, truncated, or does not match its manifest."""

    exit_code = 3


class SignatureError(BundleError):
    """The bundle is unsigned, signed by an untrusted key, or its signature does not verify."""

    exit_code = 4


class BackendUnavailable(HpiError):
    """The requested inference backend is not installed or has no artifact in the bundle."""

    exit_code = 5


class InputError(HpiError):
    """One input (an image) cannot be used; in a batch the others still run."""

    exit_code = 6


class CompileError(HpiError):
    """The model could not be read or converted."""

    exit_code = 10


class VerificationError(CompileError):
    """A converted artifact does not reproduce Paddle's outputs within the recipe's tolerance."""

    exit_code = 11


class LicenseError(HpiError):
    exit_code = 20


def run_cli(prog: str, command) -> int:
    """Run a CLI body; typed errors become one stderr line and their exit code.

    Also takes click's usage errors (typer apps run with standalone_mode=False) by their duck type,
    so the runtime does not import click.
    """
    import sys

    try:
        command()
    except HpiError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            return UsageError.exit_code
        raise
    return 0

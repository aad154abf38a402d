"""Typed errors shared by the compiler, the runtime and licensing.

Each class carries the exit code the CLIs use for it, so one failure class always exits the same way.
This module is the one source of truth for exit codes: `exit_code_table()` renders README.md's table
from the classes' codes and docstrings (a test keeps the two equal). Messages are one line: what was
expected, what was found, the fix.
"""

# Exit codes that are not errors.
SUCCESS_CODES = {
    0: "done (in a batch, bad images are reported on stderr and skipped)",
    1: "`hpi diff`: the bundles differ",
}


class HpiError(Exception):
    exit_code = 1


class UsageError(HpiError):
    """Usage: a missing file or key, a wrong or unknown option or backend name, a missing extra."""

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
    """Every input failed (not an image, corrupt, missing); in a batch one bad input is skipped and reported."""

    exit_code = 6


class CompileError(HpiError):
    """The model could not be read or converted (unknown family, corrupt files, unsupported operator)."""

    exit_code = 10


class VerificationError(CompileError):
    """No converted artifact reproduced Paddle's outputs within the recipe's tolerance."""

    exit_code = 11


class LicenseError(HpiError):
    """Licensing: the bundle needs a license that was not given (e.g. encrypted, no certificate loaded)."""

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


# Licensing refusals (hpi.licensing; docs/licensing.md has the table). Each names what was checked,
# what was found and the fix, in one line.


class LicenseNotFound(LicenseError):
    """No certificate for the product (and serial) in the licenses folder."""

    exit_code = 21


class UnknownSerial(LicenseError):
    """The serial number is unknown to the issuer, mistyped (check character) or revoked."""

    exit_code = 22


class SerialBoundElsewhere(LicenseError):
    """The serial's seats are taken by other devices; the message names the components that differ."""

    exit_code = 23


class FingerprintMismatch(LicenseError):
    """This machine is not the one the certificate was issued to, or its fingerprint cannot be read."""

    exit_code = 24


class LicenseExpired(LicenseError):
    """The certificate (or the product it licenses) expired; the message gives the date."""

    exit_code = 25


class CertificateInvalid(LicenseError):
    """The certificate file is malformed, altered, or its signature does not verify."""

    exit_code = 26


class IssuerUntrusted(LicenseError):
    """The certificate was signed by an issuer key this machine does not trust."""

    exit_code = 27


class WrongProduct(LicenseError):
    """The certificates here license other products than the one asked for."""

    exit_code = 28


class LicenseServerError(LicenseError):
    """The license server is unreachable or refused to answer (rate limit, server error)."""

    exit_code = 29


class SelfTestError(HpiError):
    """`hpi verify --self-test`: this machine's backends do not reproduce the bundle's golden outputs."""

    exit_code = 7


def exit_code_table() -> str:
    """README.md's exit-code table (Markdown), from SUCCESS_CODES and each error class's docstring."""
    rows = dict(SUCCESS_CODES)
    pending = list(HpiError.__subclasses__())
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        rows[cls.exit_code] = cls.__doc__.strip().splitlines()[0].rstrip(".")
    lines = ["| code | meaning |", "|---|---|"] + [f"| {code} | {rows[code]} |" for code in sorted(rows)]
    return "\n".join(lines)

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
    """The bundle's golden inputs do not reproduce its golden outputs on this machine's backends."""

    exit_code = 7

"""`hpi-license`: keys for signing bundles (and, later, serial numbers and certificates)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Keys and trust for hpi bundles.")
err = Console(stderr=True, highlight=False)


@app.command()
def keygen(
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="private key path (default: $HPI_SIGNING_KEY "
                                                                   "or ~/.config/hpi/signing_key.pem)"),
    trust: bool = typer.Option(True, "--trust/--no-trust", help="also trust the new public key on this machine"),
    force: bool = typer.Option(False, "--force", help="replace an existing key"),
):
    """Create an Ed25519 signing key pair (private key mode 0600, public key beside it as .pub)."""
    from hpi.licensing.signing import default_signing_key_path, generate_keypair, key_id, load_public_key, \
        trust_public_key

    private, public = generate_keypair(out or default_signing_key_path(), overwrite=force)
    err.print(f"private key {private}\npublic key  {public} (key id {key_id(load_public_key(public))})")
    if trust:
        err.print(f"trusted as  {trust_public_key(public)}")


@app.command("trust")
def trust_cmd(public_key: Path = typer.Argument(..., help="PEM public key (.pub) of a bundle signer")):
    """Trust a signer's public key on this machine (copies it to ~/.config/hpi/trusted_keys)."""
    from hpi.licensing.signing import trust_public_key

    err.print(f"trusted as {trust_public_key(public_key)}")


def main(argv: list[str] | None = None) -> int:
    from hpi.runtime_min.errors import run_cli

    return run_cli("hpi-license", lambda: app(args=argv, standalone_mode=False))


if __name__ == "__main__":
    sys.exit(main())

"""`hpi-license`: keys, trust, and this machine's licenses (the vendor's commands are in cli_issuer.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Keys, trust and licenses for hpi bundles.")
err = Console(stderr=True, highlight=False, soft_wrap=True)


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


@app.command("trust-issuer")
def trust_issuer(public_key: Path = typer.Argument(..., help="PEM public key (.pub) of a license issuer")):
    """Trust a license issuer's public key on this machine (copies it to ~/.config/hpi/trusted_issuers)."""
    from hpi.licensing.certificate import default_trusted_issuers_dir
    from hpi.licensing.signing import trust_public_key

    err.print(f"trusted issuer {trust_public_key(public_key, default_trusted_issuers_dir())}")


@app.command()
def fingerprint(as_json: bool = typer.Option(False, "--json", help="print JSON (hashes, sources, notes)")):
    """Print this machine's fingerprint: one salted hash per component, and what is missing and why."""
    from hpi.licensing.fingerprint import read_fingerprint

    machine = read_fingerprint()
    if as_json:
        print(json.dumps(machine.to_json(), indent=2, sort_keys=True))
    else:
        print(f"fingerprint {machine.id}{' (inside a container)' if machine.in_container else ''}")
        for name, c in machine.components.items():
            print(f"  {name:<10}  {c.hash or '-':<32}  {c.source if c.value else 'missing: ' + c.note}")
    machine.require_usable()


@app.command()
def request(out: Path = typer.Option(..., "--out", "-o", help="where to write the request (JSON)")):
    """Offline activation, step 1: write this machine's fingerprint and public key for the vendor."""
    from hpi.licensing.client import make_request

    out.write_text(json.dumps(make_request(), indent=2, sort_keys=True) + "\n")
    err.print(f"wrote {out}: send it to your vendor, then run `hpi-license install CERT` with the certificate")


@app.command()
def install(cert: Path = typer.Argument(..., help="certificate file from the vendor")):
    """Offline activation, step 2: check a certificate against this machine and install it (0600)."""
    from hpi.licensing.client import install_certificate

    err.print(f"installed {install_certificate(cert)}")


@app.command()
def activate(
    serial: str = typer.Option(..., "--serial", "-s", help="serial number"),
    server: Optional[str] = typer.Option(None, "--server", envvar="HPI_LICENSE_SERVER", help="license server URL"),
    product: Optional[str] = typer.Option(None, "--product", help="refuse a serial for another product"),
):
    """Online activation: bind this machine to SERIAL and install its certificate."""
    from hpi.licensing.client import activate_online

    err.print(f"installed {activate_online(serial, server_url=server, product=product)}")


@app.command()
def deactivate(
    serial: str = typer.Option(..., "--serial", "-s", help="serial number"),
    server: Optional[str] = typer.Option(None, "--server", envvar="HPI_LICENSE_SERVER", help="license server URL"),
):
    """Free this machine's seat of SERIAL on the server and delete its certificate here."""
    from hpi.licensing.client import deactivate_online

    err.print(f"deactivated seat {deactivate_online(serial, server_url=server)} of {serial}")


@app.command()
def show(as_json: bool = typer.Option(False, "--json")):
    """List the certificates in the licenses folder and whether each is valid on this machine."""
    from hpi.licensing.client import installed_certificates
    from hpi.licensing.machine import licenses_dir

    found = installed_certificates()
    if as_json:
        print(json.dumps(found, indent=2))
        return
    err.print(f"licenses folder {licenses_dir()}: {len(found)} certificate(s)")
    for c in found:
        print(f"{c['product'] or '?'}  {c['serial'] or '?'}  expires {c['expires'] or '?'}  {c['status']}  {c['path']}")


def _register_issuer_commands() -> None:
    from hpi.licensing.cli_issuer import register

    register(app)


_register_issuer_commands()


def main(argv: list[str] | None = None) -> int:
    from hpi.runtime_min.errors import run_cli

    return run_cli("hpi-license", lambda: app(args=argv, standalone_mode=False))


if __name__ == "__main__":
    sys.exit(main())

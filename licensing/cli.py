"""`hpi-license`: keys, trust, and this machine's licenses.

The deployment-side commands below run on a runtime-only install (argparse, the standard library and
`cryptography`): deployment machines trust signers and activate licenses with what `hpi-run` needs.
The vendor's commands (issuer key, products, serials, offline certificates, the license server) live
in cli_issuer.py and need the `server` extra; without it they say so in one line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# name → one-line help; the vendor commands themselves are in cli_issuer.py (typer).
VENDOR_COMMANDS = {
    "issuer-keygen": "create the issuer's key pair (vendor)",
    "new-product": "create a product with its content key (vendor)",
    "new-serials": "create serial numbers for a product (vendor)",
    "rotate-key": "give a product's content key a new generation (vendor)",
    "list": "list serials and their seats (vendor)",
    "revoke": "revoke a serial (vendor)",
    "issue": "offline activation: write a certificate for a request (vendor)",
    "audit": "print the audit trail (vendor)",
    "serve": "run the license server (vendor)",
}
VENDOR_EXTRA = "pip install 'hpi-aot[server]'"


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def cmd_keygen(args) -> None:
    from hpi.core.signing import default_signing_key_path, generate_keypair, key_id, load_public_key, \
        trust_public_key

    private, public = generate_keypair(args.out or default_signing_key_path(), overwrite=args.force)
    _say(f"private key {private}\npublic key  {public} (key id {key_id(load_public_key(public))})")
    if args.trust:
        _say(f"trusted as  {trust_public_key(public)}")


def cmd_trust(args) -> None:
    from hpi.core.signing import trust_public_key

    _say(f"trusted as {trust_public_key(args.public_key)}")


def cmd_trust_issuer(args) -> None:
    from hpi.licensing.certificate import default_trusted_issuers_dir
    from hpi.core.signing import trust_public_key

    _say(f"trusted issuer {trust_public_key(args.public_key, default_trusted_issuers_dir())}")


def cmd_fingerprint(args) -> None:
    from hpi.licensing.fingerprint import read_fingerprint

    machine = read_fingerprint()
    if args.json:
        print(json.dumps(machine.to_json(), indent=2, sort_keys=True))
    else:
        print(f"fingerprint {machine.id}{' (inside a container)' if machine.in_container else ''}")
        for name, c in machine.components.items():
            print(f"  {name:<10}  {c.hash or '-':<32}  {c.source if c.value else 'missing: ' + c.note}")
    machine.require_usable()


def cmd_request(args) -> None:
    from hpi.licensing.client import make_request

    args.out.write_text(json.dumps(make_request(), indent=2, sort_keys=True) + "\n")
    _say(f"wrote {args.out}: send it to your vendor, then run `hpi-license install CERT` with the certificate")


def cmd_install(args) -> None:
    from hpi.licensing.client import install_certificate

    _say(f"installed {install_certificate(args.cert)}")


def cmd_activate(args) -> None:
    from hpi.licensing.client import activate_online

    _say(f"installed {activate_online(args.serial, server_url=args.server, product=args.product)}")


def cmd_deactivate(args) -> None:
    from hpi.licensing.client import deactivate_online

    _say(f"deactivated seat {deactivate_online(args.serial, server_url=args.server)} of {args.serial}")


def cmd_show(args) -> None:
    from hpi.licensing.client import installed_certificates
    from hpi.licensing.machine import licenses_dir

    found = installed_certificates()
    if args.json:
        print(json.dumps(found, indent=2))
        return
    _say(f"licenses folder {licenses_dir()}: {len(found)} certificate(s)")
    for c in found:
        print(f"{c['product'] or '?'}  {c['serial'] or '?'}  expires {c['expires'] or '?'}  {c['status']}  {c['path']}")


def _parser() -> argparse.ArgumentParser:
    vendor = "\n".join(f"  {name:<15} {text}" for name, text in VENDOR_COMMANDS.items())
    p = argparse.ArgumentParser(
        prog="hpi-license", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Keys, trust and licenses for hpi bundles (docs/licensing.md).",
        epilog=f"vendor commands (need the server extra: {VENDOR_EXTRA}):\n{vendor}\n\n"
               "`hpi-license COMMAND --help` describes each command.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, func, help_text):
        s = sub.add_parser(name, help=help_text, description=help_text)
        s.set_defaults(func=func)
        return s

    s = add("keygen", cmd_keygen, "create an Ed25519 signing key pair for hpi-compile (private key mode 0600, "
                                  "public key beside it as .pub)")
    s.add_argument("--out", "-o", type=Path, metavar="FILE",
                   help="private key path (default: $HPI_SIGNING_KEY or ~/.config/hpi/signing_key.pem)")
    s.add_argument("--no-trust", dest="trust", action="store_false",
                   help="do not trust the new public key on this machine")
    s.add_argument("--force", action="store_true", help="replace an existing key")
    s = add("trust", cmd_trust, "trust a bundle signer's public key on this machine (copies it to "
                                "~/.config/hpi/trusted_keys)")
    s.add_argument("public_key", type=Path, metavar="FILE", help="PEM public key (.pub) of a bundle signer")
    s = add("trust-issuer", cmd_trust_issuer, "trust a license issuer's public key on this machine (copies it to "
                                              "~/.config/hpi/trusted_issuers)")
    s.add_argument("public_key", type=Path, metavar="FILE", help="PEM public key (.pub) of a license issuer")
    s = add("fingerprint", cmd_fingerprint, "print this machine's fingerprint: one salted hash per component, "
                                            "and what is missing and why")
    s.add_argument("--json", action="store_true", help="print JSON (hashes, sources, notes)")
    s = add("request", cmd_request, "offline activation, step 1: write this machine's fingerprint and public "
                                    "key for the vendor")
    s.add_argument("--out", "-o", type=Path, required=True, metavar="FILE", help="where to write the request (JSON)")
    s = add("install", cmd_install, "offline activation, step 2: check a certificate against this machine and "
                                    "install it (0600)")
    s.add_argument("cert", type=Path, metavar="CERT", help="certificate file from the vendor")
    def online(name, func, help_text):
        s = add(name, func, help_text)
        s.add_argument("--serial", "-s", required=True, help="serial number")
        s.add_argument("--server", default=os.environ.get("HPI_LICENSE_SERVER"), metavar="URL",
                       help="license server URL (default: $HPI_LICENSE_SERVER)")
        return s

    s = online("activate", cmd_activate, "online activation: bind this machine to a serial and install its "
                                         "certificate")
    s.add_argument("--product", help="refuse a serial for another product")
    online("deactivate", cmd_deactivate, "free this machine's seat of a serial on the server and delete its "
                                         "certificate here")
    s = add("show", cmd_show, "list the certificates in the licenses folder and whether each is valid here")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    return p


def _vendor(argv: list[str]) -> None:
    """The vendor's commands run in their typer app; without the extra, one line names it."""
    from hpi.core.errors import UsageError

    try:
        from hpi.licensing.cli_issuer import app
    except ModuleNotFoundError as exc:
        raise UsageError(f"`hpi-license {argv[0]}` is a vendor command and needs {exc.name}: "
                         f"{VENDOR_EXTRA}") from None
    app(args=argv, prog_name="hpi-license", standalone_mode=False)


def main(argv: list[str] | None = None) -> int:
    from hpi.core.errors import run_cli

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in VENDOR_COMMANDS:
        return run_cli("hpi-license", lambda: _vendor(argv))
    args = _parser().parse_args(argv)
    return run_cli("hpi-license", lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())

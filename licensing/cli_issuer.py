"""The vendor's `hpi-license` commands: issuer key, products, serials, offline certificates, the server.

They work on the issuer database directly (`--db`, `$HPI_LICENSE_DB`, default
`~/.config/hpi/issuer/licensing.db`), the same one `hpi-license serve` uses. Data goes to stdout (a
serial per line, JSON with --json), messages to stderr, so commands compose in shell scripts.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

err = Console(stderr=True, highlight=False, soft_wrap=True)

DB = typer.Option(None, "--db", envvar="HPI_LICENSE_DB",
                  help="issuer database: SQLite file path or postgresql:// URL (default ~/.config/hpi/issuer/licensing.db)")
ISSUER_KEY = typer.Option(None, "--issuer-key", envvar="HPI_ISSUER_KEY",
                          help="issuer private key (default ~/.config/hpi/issuer/issuer_key.pem)")


def _client() -> str:
    """Who did it, for the audit trail: the OS user running the CLI."""
    try:
        import getpass

        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (some containers)
        return f"cli:uid{os.getuid()}"


def issuer_keygen(
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="private key path (default: $HPI_ISSUER_KEY "
                                                                   "or ~/.config/hpi/issuer/issuer_key.pem)"),
    force: bool = typer.Option(False, "--force", help="replace an existing key"),
):
    """Create the issuer's Ed25519 key pair and trust it here; ship the .pub to every licensed machine."""
    from hpi.licensing.certificate import default_trusted_issuers_dir
    from hpi.licensing.issuer import default_issuer_key_path
    from hpi.core.signing import generate_keypair, key_id, load_public_key, trust_public_key

    private, public = generate_keypair(out or default_issuer_key_path(), overwrite=force)
    err.print(f"issuer key {private}\npublic key {public} (key id {key_id(load_public_key(public))})")
    err.print(f"trusted here as {trust_public_key(public, default_trusted_issuers_dir())}")


def new_product(
    name: str = typer.Argument(..., help="product name, e.g. ocr-pro"),
    pipeline: list[str] = typer.Option(..., "--pipeline", "-p", metavar="NAME", help="pipeline or bundle name it entitles (repeat)"),
    expires: str = typer.Option(..., "--expires", help="last valid day, YYYY-MM-DD"),
    seats: int = typer.Option(1, "--seats", help="devices one serial may activate at a time"),
    db: Optional[str] = DB,
):
    """Create a product with a fresh random 256-bit content key (encrypts its bundles)."""
    from hpi.licensing.db import Database
    from hpi.licensing.issuer import create_product
    from hpi.core.errors import UsageError

    try:
        day = dt.date.fromisoformat(expires)
    except ValueError:
        raise UsageError(f"--expires {expires!r}: expected a date YYYY-MM-DD") from None
    product = create_product(Database(db), name, pipeline, day, seats, client=_client())
    err.print(f"product {product['name']}: pipelines {', '.join(product['pipelines'])}, expires "
              f"{product['expires']}, {product['seats']} seat(s)")


def rotate_key(
    product: str = typer.Argument(..., help="product whose content key gets a new generation"),
    db: Optional[str] = DB,
):
    """Give a product a new content key generation: bundles compiled from now on are sealed with it.

    Certificates issued from now on carry every generation; machines activated before get it by
    activating again. A leaked key then opens the bundles compiled before the rotation only.
    """
    from hpi.licensing.db import Database
    from hpi.licensing.issuer import rotate_product_key

    generation = rotate_product_key(Database(db), product, client=_client())
    err.print(f"product {product}: content key generation {generation}; recompile its bundles to seal them with it")


def new_serials(
    product: str = typer.Option(..., "--product", help="product the serials license"),
    count: int = typer.Option(1, "--count", "-n", min=1, max=10_000),
    note: str = typer.Option("", "--note", help="free text kept with the serials (customer, order)"),
    db: Optional[str] = DB,
):
    """Create serial numbers for a product; prints one per line."""
    from hpi.licensing.db import Database
    from hpi.licensing.issuer import create_serials

    for serial in create_serials(Database(db), product, count, note, client=_client()):
        print(serial)


def list_cmd(
    product: Optional[str] = typer.Option(None, "--product"),
    as_json: bool = typer.Option(False, "--json"),
    db: Optional[str] = DB,
):
    """List serials with their seats in use and revocation."""
    from hpi.licensing.db import Database
    from hpi.licensing.issuer import list_serials

    rows = list_serials(Database(db), product)
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        state = f"revoked {r['revoked_at'][:10]}" if r["revoked_at"] else f"{r['active']}/{r['seats']} seats"
        print(f"{r['serial']}  {r['product']}  {state}  {r['note']}")


def revoke(
    serial: str = typer.Argument(...),
    reason: str = typer.Option("", "--reason"),
    db: Optional[str] = DB,
):
    """Revoke a serial: further activations are refused (certificates already issued run until expiry)."""
    from hpi.licensing.db import Database
    from hpi.licensing.issuer import revoke as revoke_serial

    revoke_serial(Database(db), serial, reason, client=_client())
    err.print(f"revoked {serial}")


def issue(
    request: Path = typer.Option(..., "--request", help="request file from `hpi-license request`"),
    serial: str = typer.Option(..., "--serial", "-s"),
    out: Path = typer.Option(..., "--out", "-o", help="certificate file to send back"),
    db: Optional[str] = DB,
    issuer_key: Optional[Path] = ISSUER_KEY,
):
    """Offline activation: bind SERIAL to the requesting machine and write its certificate."""
    from hpi.licensing.client import REQUEST_SCHEMA
    from hpi.licensing.db import Database
    from hpi.licensing.issuer import activate, load_issuer_key
    from hpi.core.errors import UsageError

    try:
        body = json.loads(request.read_text())
        if body.get("schema") != REQUEST_SCHEMA:
            raise ValueError(f"schema {body.get('schema')!r} is not {REQUEST_SCHEMA!r}")
    except (OSError, ValueError, AttributeError) as exc:
        raise UsageError(f"{request} is not an hpi license request ({exc}); make one with `hpi-license request`") from None
    cert = activate(Database(db), load_issuer_key(issuer_key), serial, body.get("fingerprint"),
                    body.get("machine_key"), client=_client(), via="offline")
    out.write_bytes(cert)
    err.print(f"wrote {out}: the user installs it with `hpi-license install {out.name}`")


def audit(
    serial: Optional[str] = typer.Option(None, "--serial"),
    limit: int = typer.Option(200, "--limit", min=1, max=10_000),
    db: Optional[str] = DB,
):
    """Print the audit trail (JSON lines): activations, refusals, deactivations, transfers, revocations."""
    from hpi.licensing.db import Database
    from hpi.licensing.issuer import audit_log

    for row in audit_log(Database(db), serial, limit):
        print(json.dumps(row, sort_keys=True))


def serve(
    db: Optional[str] = DB,
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8470, "--port"),
    admin_token: Optional[str] = typer.Option(None, "--admin-token", envvar="HPI_LICENSE_ADMIN_TOKEN",
                                              help="bearer token for /v1/admin (prefer the env var: argv is public)"),
    issuer_key: Optional[Path] = ISSUER_KEY,
    rate_limit: int = typer.Option(30, "--rate-limit", min=1, help="activation attempts per client per window"),
    rate_window: float = typer.Option(60.0, "--rate-window", help="rate-limit window, seconds"),
    trust_proxy: bool = typer.Option(False, "--trust-proxy", help="client address from X-Forwarded-For "
                                                                  "(only behind a reverse proxy on this host)"),
):
    """Run the license server (FastAPI on uvicorn; needs hpi's `server` extra)."""
    try:
        from hpi.licensing.server import serve as run_server
    except ImportError as exc:
        from hpi.core.errors import UsageError

        raise UsageError(f"the license server needs {exc.name}: pip install 'hpi-aot[server]'") from None
    err.print(f"hpi-license serve: http://{host}:{port}")
    run_server(db, host, port, issuer_key_path=issuer_key, admin_token=admin_token, rate_limit=rate_limit,
               rate_window=rate_window, trust_proxy=trust_proxy)


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  rich_markup_mode=None, help="The vendor's hpi-license commands.")
app.command("issuer-keygen")(issuer_keygen)
app.command("new-product")(new_product)
app.command("new-serials")(new_serials)
app.command("rotate-key")(rotate_key)
app.command("list")(list_cmd)
app.command()(revoke)
app.command()(issue)
app.command()(audit)
app.command()(serve)

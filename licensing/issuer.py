"""The issuer's operations on its database: products, serials, binding, certificates, revocation.

Shared by the license server (online activation) and `hpi-license issue` (offline): a serial bound
offline cannot then be activated online on a third machine, and every binding, refusal, release and
revocation lands in the same audit table.

Binding rule: a serial has `seats` seats (1 by default). A device whose fingerprint matches an active
binding within the tolerance rule (fingerprint.py) is the same device: it gets a fresh certificate and
keeps its seat (its bound fingerprint is not updated, so small changes cannot add up to another
machine). Another device takes a free seat, or is refused naming the components that differ.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from hpi.licensing import fingerprint as fp
from hpi.licensing.certificate import sign_certificate
from hpi.licensing.crypto import check_possession, deactivation_message, exchange_key_from_issuer, \
    fingerprint_key_from_issuer, new_content_key, wrap_key
from hpi.licensing.db import Database
from hpi.licensing.serials import new_serial, normalize_serial
from hpi.core.signing import config_dir, load_private_key
from hpi.core.errors import FingerprintMismatch, LicenseError, LicenseExpired, SerialBoundElsewhere, \
    UnknownSerial, UsageError, WrongProduct

MAX_SEATS = 1_000_000  # devices per serial: beyond any real deployment, within every integer column
_PRODUCT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HASH = re.compile(r"[0-9a-f]{32}")


def default_issuer_key_path() -> Path:
    return Path(os.environ.get("HPI_ISSUER_KEY") or config_dir() / "issuer" / "issuer_key.pem")


def load_issuer_key(path: Path | None = None):
    path = Path(path or default_issuer_key_path())
    if not path.is_file():
        raise UsageError(f"issuer key {path} not found; create it with `hpi-license issuer-keygen` "
                         "or point --issuer-key / $HPI_ISSUER_KEY at it")
    return load_private_key(path)


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- products and serials -------------------------------------------------------------------------


def create_product(db: Database, name: str, pipelines: list[str], expires: dt.date, seats: int = 1,
                   client: str = "cli") -> dict:
    if not _PRODUCT_NAME.fullmatch(name):
        raise UsageError(f"product name {name!r}: use 1-64 of A-Z a-z 0-9 . _ - (starting with a letter or digit)")
    if not 1 <= seats <= MAX_SEATS or not pipelines:
        raise UsageError(f"a product needs at least one pipeline (--pipeline) and 1 to {MAX_SEATS} seats")
    with db.transaction() as tx:
        if tx.one("SELECT name FROM products WHERE name = ?", name):
            raise UsageError(f"product {name!r} already exists in {db}")
        tx.run("INSERT INTO products (name, pipelines, expires, seats, content_key, created_at) "
               "VALUES (?, ?, ?, ?, ?, ?)", name, json.dumps(sorted(set(pipelines))), expires.isoformat(),
               seats, new_content_key().hex(), now_iso())
        tx.audit(now_iso(), "create_product", None, client, product=name, pipelines=sorted(set(pipelines)),
                 expires=expires.isoformat(), seats=seats)
    return get_product(db, name)


def get_product(db: Database, name: str) -> dict:
    with db.transaction() as tx:
        row = tx.one("SELECT * FROM products WHERE name = ?", name)
        known = [r["name"] for r in tx.rows("SELECT name FROM products ORDER BY name")]
    if row is None:
        raise UsageError(f"product {name!r} is not in the issuer database {db} (products: "
                         f"{', '.join(known) or 'none'}); create it with `hpi-license new-product {name} ...`")
    return {**row, "pipelines": json.loads(row["pipelines"])}


def content_key_for_product(product: str, db_url: str | None = None) -> bytes:
    """The product's content key from the issuer database (for `hpi-compile --encrypt`)."""
    return bytes.fromhex(get_product(Database(db_url, must_exist=True), product)["content_key"])


def product_keys(tx, product: str) -> dict[int, bytes]:
    """Every content key generation of a product: 1 is made with the product (products.content_key), each
    rotation adds the next (product_keys)."""
    row = tx.one("SELECT content_key FROM products WHERE name = ?", product)
    keys = {1: bytes.fromhex(row["content_key"])} if row else {}
    for r in tx.rows("SELECT generation, content_key FROM product_keys WHERE product = ?", product):
        keys[int(r["generation"])] = bytes.fromhex(r["content_key"])
    return keys


def rotate_product_key(db: Database, product: str, client: str = "cli") -> int:
    """A new content key generation for `product`: bundles compiled from now on are sealed with it, and
    certificates issued from now on carry it (with the earlier ones, for earlier bundles). A leaked
    key then opens the bundles compiled before the rotation, not those after it."""
    get_product(db, product)
    with db.transaction() as tx:
        tx.one("SELECT name FROM products WHERE name = ?" + tx.for_update, product)
        generation = max(product_keys(tx, product)) + 1
        tx.run("INSERT INTO product_keys (product, generation, content_key, created_at) VALUES (?, ?, ?, ?)",
               product, generation, new_content_key().hex(), now_iso())
        tx.audit(now_iso(), "rotate_key", None, client, product=product, generation=generation)
    return generation


def create_serials(db: Database, product: str, count: int = 1, note: str = "", client: str = "cli") -> list[str]:
    seats = get_product(db, product)["seats"]
    serials = [new_serial() for _ in range(count)]
    with db.transaction() as tx:
        for serial in serials:
            tx.run("INSERT INTO serials (serial, product, seats, created_at, note) VALUES (?, ?, ?, ?, ?)",
                   serial, product, seats, now_iso(), note)
            tx.audit(now_iso(), "create_serial", serial, client, product=product)
    return serials


def list_serials(db: Database, product: str | None = None) -> list[dict]:
    # Filters are added to the SQL, not passed as NULL: PostgreSQL cannot type a bare `? IS NULL`.
    where, params = ("WHERE s.product = ? ", [product]) if product else ("", [])
    with db.transaction() as tx:
        return tx.rows(
            "SELECT s.serial, s.product, s.seats, s.revoked_at, s.note, "
            "(SELECT COUNT(*) FROM bindings b WHERE b.serial = s.serial AND b.released_at IS NULL) AS active, "
            "(SELECT MAX(b.bound_at) FROM bindings b WHERE b.serial = s.serial) AS last_bound "
            f"FROM serials s {where}ORDER BY s.product, s.created_at, s.serial", *params)


def audit_log(db: Database, serial: str | None = None, limit: int = 200) -> list[dict]:
    serial = normalize_serial(serial) if serial else None
    where, params = ("WHERE serial = ? ", [serial]) if serial else ("", [])
    with db.transaction() as tx:
        rows = tx.rows(f"SELECT id, at, action, serial, client, detail FROM audit {where}ORDER BY id DESC LIMIT ?",
                       *params, limit)
    return [{**r, "detail": json.loads(r["detail"])} for r in reversed(rows)]


def revoke(db: Database, serial: str, reason: str = "", client: str = "cli") -> None:
    serial = normalize_serial(serial)
    with db.transaction() as tx:
        if not tx.run("UPDATE serials SET revoked_at = ? WHERE serial = ? AND revoked_at IS NULL", now_iso(), serial):
            if not tx.one("SELECT serial FROM serials WHERE serial = ?", serial):
                raise UnknownSerial(f"serial {serial} is not in {db}")
            return  # already revoked: nothing changes, nothing to audit
        tx.audit(now_iso(), "revoke", serial, client, reason=reason)


# -- binding ----------------------------------------------------------------------------------------


def check_request(fingerprint: dict, machine_key: str) -> None:
    """Malformed activation input is a usage error (HTTP 422), never a database question."""
    if not isinstance(fingerprint, dict) or set(fingerprint) - set(fp.COMPONENTS):
        raise UsageError(f"fingerprint must map some of {', '.join(fp.COMPONENTS)} to hashes")
    for name, value in fingerprint.items():
        if value is not None and not (isinstance(value, str) and _HASH.fullmatch(value)):
            raise UsageError(f"fingerprint component {name}: expected 32 hex digits or null")
    present = [n for n, v in fingerprint.items() if v]
    if len(present) < 2 or not any(n in fp.ANCHORS for n in present):
        raise FingerprintMismatch(f"fingerprint has only {', '.join(present) or 'nothing'}: machine_id or disk "
                                  "and one more component are needed (see `hpi-license fingerprint`)")
    try:
        raw = base64.b64decode(machine_key, validate=True)
        # A low-order point (all zeros, ...) gives no shared secret: refused before anything is bound.
        X25519PrivateKey.generate().exchange(X25519PublicKey.from_public_bytes(raw))
    except (ValueError, TypeError):
        raise UsageError("machine_key must be a base64 raw X25519 public key (32 bytes) usable for key "
                         "agreement") from None


def keyed_fingerprint(fingerprint: dict, issuer_key) -> dict:
    """The machine's component hashes keyed with the issuer's secret, as the database and certificates
    keep them: a component of little entropy (a MAC address) cannot be brute-forced from a certificate,
    the database or the audit trail without the issuer's key."""
    key = fingerprint_key_from_issuer(issuer_key)
    return {n: hmac.new(key, f"{n}\0{h}".encode(), hashlib.sha256).hexdigest()[:32] if h else None
            for n, h in fingerprint.items()}


def _same_device(stored: str, keyed: dict, raw: dict) -> bool:
    """The tolerance rule against a binding's fingerprint (keyed; or raw, in rows from before keying)."""
    bound = json.loads(stored)
    return fp.match(bound, keyed).ok or fp.match(bound, raw).ok


def _bind(tx, serial: str, fingerprint: dict, raw: dict, machine_key: str, via: str, client: str,
          expected_product: str | None = None) -> dict:
    """Bind (or recognise) the device in one transaction; the serial's row is locked first. `fingerprint`
    is keyed (keyed_fingerprint), `raw` as the machine sent it."""
    row = tx.one("SELECT serial, product, seats, revoked_at FROM serials WHERE serial = ?" + tx.for_update, serial)
    if row is None:
        raise UnknownSerial(f"serial {serial} is not known to this license server; check it against your "
                            "license email")
    if expected_product and row["product"] != expected_product:
        # Checked before binding, so a serial for another product does not spend its seat here.
        raise WrongProduct(f"serial {serial} licenses product {row['product']!r}, not {expected_product!r}; "
                           f"use a serial number for {expected_product!r}")
    if row["revoked_at"]:
        raise UnknownSerial(f"serial {serial} was revoked on {row['revoked_at'][:10]}; contact your vendor")
    product = tx.one("SELECT * FROM products WHERE name = ?", row["product"])
    if dt.date.fromisoformat(product["expires"]) < dt.datetime.now(dt.timezone.utc).date():
        raise LicenseExpired(f"product {product['name']!r} (serial {serial}) expired on {product['expires']}; "
                             "ask your vendor to renew it")
    active = tx.rows("SELECT id, seat, fingerprint, machine_key FROM bindings WHERE serial = ? AND released_at IS NULL "
                     "ORDER BY seat", serial)
    for binding in active:
        if _same_device(binding["fingerprint"], fingerprint, raw):
            # Fingerprint hashes are not secret (any copy of a certificate holds them): only the machine
            # key the seat was bound with may renew it, and its certificate is wrapped to that key alone.
            if binding["machine_key"] != machine_key:
                raise SerialBoundElsewhere(
                    f"serial {serial} is activated on a device with this fingerprint but another machine key; "
                    "only the licenses folder that activated it can renew it: deactivate it there, or ask "
                    "your vendor to transfer the serial")
            tx.audit(now_iso(), "reactivate", serial, client, via=via, seat=binding["seat"], fingerprint=fingerprint)
            return product
    if len(active) >= row["seats"]:
        results = [fp.match(json.loads(b["fingerprint"]), fingerprint) for b in active]
        closest = max(results, key=lambda r: len(r.matched))
        raise SerialBoundElsewhere(
            f"serial {serial} is already activated on another device ({len(active)} of {row['seats']} seats); "
            f"this machine differs in {fp.describe(closest.differing, fingerprint)}; deactivate it there "
            "(`hpi-license deactivate`) or ask your vendor to transfer the serial")
    # The lowest free seat, in time proportional to the seats in use (not to the product's seat count).
    taken = sorted(b["seat"] for b in active)
    seat = next((n for n, s in enumerate(taken, 1) if s != n), len(taken) + 1)
    tx.run("INSERT INTO bindings (serial, seat, fingerprint, machine_key, via, bound_at) VALUES (?, ?, ?, ?, ?, ?)",
           serial, seat, json.dumps(fingerprint, sort_keys=True), machine_key, via, now_iso())
    tx.audit(now_iso(), "activate", serial, client, via=via, seat=seat, fingerprint=fingerprint)
    return product


def _certificate(tx, issuer_key, serial: str, product: dict, fingerprint: dict, machine_key: str) -> bytes:
    pipelines = product["pipelines"]
    machine_public = base64.b64decode(machine_key)
    keys = product_keys(tx, product["name"])
    fields = {
        "serial": serial,
        "product": product["name"],
        "pipelines": json.loads(pipelines) if isinstance(pipelines, str) else pipelines,
        "expires": product["expires"],
        "issued_at": now_iso(),
        "fingerprint": {n: fingerprint.get(n) for n in fp.COMPONENTS},
        "fingerprint_keyed": True,  # keyed with the issuer's secret: the machine checks its sealed key instead
        "machine_key": machine_key,
        "content_key": wrap_key(keys[1], machine_public, product["name"]),
        # every generation, each wrapped with "product#generation" (client.product_key unwraps them):
        # bundles name the one they were sealed with
        "content_keys": {str(g): wrap_key(k, machine_public, f"{product['name']}#{g}") for g, k in sorted(keys.items())},
    }
    return sign_certificate(fields, issuer_key)


def _audited(db: Database, serial: str, client: str, work):
    """Run `work(tx)` in one transaction; a refusal rolls it back, then is written to the audit table."""
    try:
        with db.transaction() as tx:
            return work(tx)
    except LicenseError as exc:
        with db.transaction() as tx:
            tx.audit(now_iso(), "refused", serial, client, error=type(exc).__name__, reason=str(exc))
        raise


def activate(db: Database, issuer_key, serial: str, fingerprint: dict, machine_key: str, *,
             client: str, via: str = "online", product: str | None = None) -> bytes:
    """The certificate file for this device, binding it first if it holds no seat yet.

    `product`, when given, is the product the device needs: a serial for another one is refused unbound.
    """
    serial = normalize_serial(serial)
    check_request(fingerprint, machine_key)
    keyed = keyed_fingerprint(fingerprint, issuer_key)
    # The certificate is made inside the binding's transaction: if it cannot be made, nothing is bound.
    return _audited(db, serial, client, lambda tx: _certificate(
        tx, issuer_key, serial, _bind(tx, serial, keyed, fingerprint, machine_key, via, client, product), keyed,
        machine_key))


PROOF_WINDOW_S = 300  # how old a deactivation proof may be (clock skew between machine and server)


def deactivate(db: Database, issuer_key, serial: str, fingerprint: dict, machine_key: str, at: str, proof: str,
               *, client: str) -> int:
    """Free the seat this device holds; returns the seat number.

    Fingerprint hashes are not secret (every certificate holds them), so the request must also prove
    possession of the machine key the seat was bound with: `proof` is crypto.possession_proof over
    deactivation_message(serial, machine_key, at), `at` within PROOF_WINDOW_S of the server's clock.
    """
    serial = normalize_serial(serial)
    try:
        age = abs((dt.datetime.now(dt.timezone.utc) - dt.datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=dt.timezone.utc)).total_seconds())
        machine_public = base64.b64decode(machine_key, validate=True)
    except (TypeError, ValueError):
        raise UsageError("deactivation needs machine_key (base64) and at (YYYY-MM-DDTHH:MM:SSZ)") from None
    if age > PROOF_WINDOW_S:
        raise UsageError(f"deactivation request made at {at}, more than {PROOF_WINDOW_S} s from the server's "
                         "clock; set this machine's clock and try again")
    proven = check_possession(exchange_key_from_issuer(issuer_key), machine_public,
                              deactivation_message(serial, machine_key, at), proof)
    raw, fingerprint = fingerprint, keyed_fingerprint(fingerprint, issuer_key)

    def work(tx):
        tx.one("SELECT serial FROM serials WHERE serial = ?" + tx.for_update, serial)
        for b in tx.rows("SELECT id, seat, fingerprint, machine_key FROM bindings WHERE serial = ? AND "
                         "released_at IS NULL", serial):
            if _same_device(b["fingerprint"], fingerprint, raw):
                if b["machine_key"] != machine_key or not proven:
                    raise FingerprintMismatch(
                        f"serial {serial} is activated on this machine by another licenses folder: only the "
                        "machine key it was activated with can free its seat; run `hpi-license deactivate` "
                        "where it was activated, or ask your vendor to transfer the serial")
                tx.run("UPDATE bindings SET released_at = ? WHERE id = ?", now_iso(), b["id"])
                tx.audit(now_iso(), "deactivate", serial, client, seat=b["seat"], fingerprint=fingerprint)
                return b["seat"]
        raise FingerprintMismatch(f"serial {serial} is not activated on this machine; nothing to deactivate")

    return _audited(db, serial, client, work)


def transfer(db: Database, issuer_key, serial: str, fingerprint: dict, machine_key: str, *,
             client: str, reason: str) -> bytes:
    """Vendor's move of a serial to a new device: release every seat and bind it, in one transaction."""
    serial = normalize_serial(serial)
    check_request(fingerprint, machine_key)
    raw, fingerprint = fingerprint, keyed_fingerprint(fingerprint, issuer_key)

    def work(tx):
        tx.one("SELECT serial FROM serials WHERE serial = ?" + tx.for_update, serial)
        for b in tx.rows("SELECT id, seat FROM bindings WHERE serial = ? AND released_at IS NULL", serial):
            tx.run("UPDATE bindings SET released_at = ? WHERE id = ?", now_iso(), b["id"])
            tx.audit(now_iso(), "transfer_release", serial, client, seat=b["seat"], reason=reason)
        return _certificate(tx, issuer_key, serial,
                            _bind(tx, serial, fingerprint, raw, machine_key, "transfer", client), fingerprint,
                            machine_key)

    return _audited(db, serial, client, work)

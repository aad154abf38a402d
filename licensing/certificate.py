"""License certificates: what an issuer signs, and every check a machine makes before trusting one.

A certificate file is canonical JSON (docs/bundle-format.md's rules) of

    {"certificate": {fields}, "signature": {"algorithm": "ed25519", "key_id", "public_key", "signature"}}

The Ed25519 signature covers `b"hpi.license/1\\n" + canonical_json(fields)`; the prefix keeps a
signature made for a bundle manifest from ever passing as a certificate. Fields:

    schema       "hpi.license/1"
    serial       the serial number (canonical spelling)
    product      product name; pipelines: the pipelines/bundles it entitles
    expires      last valid day, "YYYY-MM-DD" (UTC)
    issued_at    "YYYY-MM-DDTHH:MM:SSZ"
    fingerprint  {component: hash or null} of the machine it was issued to; with `fingerprint_keyed`
                 true, keyed with the issuer's secret (issuer.keyed_fingerprint), so the machine checks
                 its sealed machine key (machine.py) instead of comparing hashes
    machine_key  that machine's X25519 public key (base64, raw 32 bytes)
    content_key  the product's content key wrapped to machine_key (crypto.wrap_key)
    content_keys {generation: wrapped}: every generation of the product's content key (rotations,
                 `hpi-license rotate-key`), each wrapped with the product name + "#generation"
    issuer       key id of the issuer's Ed25519 key

Issuer keys are trusted apart from bundle signers: `$HPI_TRUSTED_ISSUERS` (files or folders,
os.pathsep-separated) and `$HPI_CONFIG_DIR/trusted_issuers/*.pub`. A key that signs bundles in CI should
not be able to mint licenses, nor the license server's key sign bundles.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hpi.licensing import fingerprint as fp
from hpi.core.signing import Signature, TrustStore, config_dir, key_id, sign
from hpi.core.canonical import canonical_json
from hpi.core.errors import CertificateInvalid, FingerprintMismatch, IssuerUntrusted, LicenseExpired, \
    SignatureError, UsageError, WrongProduct

SCHEMA = "hpi.license/1"
_DOMAIN = b"hpi.license/1\n"
_FIELDS = {"schema": str, "serial": str, "product": str, "pipelines": list, "expires": str, "issued_at": str,
           "fingerprint": dict, "machine_key": str, "content_key": dict, "issuer": str}


def default_trusted_issuers_dir() -> Path:
    return config_dir() / "trusted_issuers"


def issuer_trust(trusted_issuers=None) -> TrustStore:
    """A TrustStore as given, else from paths, else $HPI_TRUSTED_ISSUERS + the config folder."""
    if isinstance(trusted_issuers, TrustStore):
        return trusted_issuers
    paths = [Path(p) for p in (trusted_issuers or [])]
    env = os.environ.get("HPI_TRUSTED_ISSUERS")
    if env:
        paths += [Path(p) for p in env.split(os.pathsep) if p]
    if default_trusted_issuers_dir().is_dir():
        paths.append(default_trusted_issuers_dir())
    return TrustStore.from_paths(paths)


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def sign_certificate(fields: dict, issuer_key: Ed25519PrivateKey) -> bytes:
    """The certificate file's bytes for `fields` (all of _FIELDS but `issuer`, which is filled in)."""
    fields = {**fields, "schema": SCHEMA, "issuer": key_id(issuer_key.public_key())}
    signature = sign(_DOMAIN + canonical_json(fields), issuer_key)
    return canonical_json({"certificate": fields, "signature": signature.to_dict()})


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def parse(raw: bytes, origin: str = "certificate") -> tuple[dict, Signature]:
    """Fields and signature of a certificate file, refusing any file that is not exactly canonical."""
    try:
        doc = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
        if not isinstance(doc, dict) or set(doc) != {"certificate", "signature"}:
            raise ValueError("expected exactly 'certificate' and 'signature'")
        if canonical_json(doc) != raw:
            raise ValueError("not in canonical form")
        fields = doc["certificate"]
        for name, kind in _FIELDS.items():
            if not isinstance(fields.get(name), kind):
                raise ValueError(f"field {name!r} missing or not a {kind.__name__}")
        if fields["schema"] != SCHEMA:
            raise ValueError(f"schema {fields['schema']!r} is not {SCHEMA!r}")
        dt.date.fromisoformat(fields["expires"])
        if not isinstance(fields.get("content_keys", {}), dict):
            raise ValueError("field 'content_keys' is not a dict")
        if not isinstance(fields.get("fingerprint_keyed", False), bool):
            raise ValueError("field 'fingerprint_keyed' is not a bool")
        signature = Signature.from_dict(doc["signature"])
    except (UnicodeDecodeError, ValueError, TypeError, AttributeError, SignatureError) as exc:
        raise CertificateInvalid(f"{origin} is not a valid hpi certificate ({exc}); it was altered or "
                                 "damaged: install the file your vendor sent again") from None
    return fields, signature


def check_signature(fields: dict, signature: Signature, trust: TrustStore, origin: str) -> None:
    trusted = trust.public_key(signature.key_id)
    if trusted is None:
        known = ", ".join(trust.key_ids()) or "none"
        raise IssuerUntrusted(
            f"{origin} was issued by key {signature.key_id}, which this machine does not trust as a license "
            f"issuer (trusted: {known}); add the vendor's issuer key with `hpi-license trust-issuer ISSUER.pub`"
        )
    if trusted != signature.public_key or fields["issuer"] != signature.key_id:
        raise CertificateInvalid(f"{origin} names issuer {fields['issuer']} but carries another key; "
                                 "it was forged or altered")
    try:
        Ed25519PublicKey.from_public_bytes(trusted).verify(signature.value, _DOMAIN + canonical_json(fields))
    except InvalidSignature:
        raise CertificateInvalid(f"{origin}: the issuer's signature does not verify: the certificate was "
                                 "altered after it was issued; install the file your vendor sent again") from None


def check_terms(fields: dict, origin: str, *, product: str | None, on: dt.date) -> None:
    if product is not None and fields["product"] != product:
        raise WrongProduct(f"{origin} licenses product {fields['product']!r}, not {product!r}; "
                           f"activate a serial number for {product!r}")
    expires = dt.date.fromisoformat(fields["expires"])
    if on > expires:
        raise LicenseExpired(f"{origin} for product {fields['product']!r} expired on {expires.isoformat()} "
                             f"(today is {on.isoformat()}); ask your vendor to renew serial {fields['serial']}")


def check_machine(fields: dict, machine: fp.Fingerprint, origin: str) -> None:
    result = fp.match(fields["fingerprint"], machine.hashes())
    if not result.ok:
        notes = {n: c.note for n, c in machine.components.items()}
        raise FingerprintMismatch(
            f"{origin} was issued to another machine: fingerprint components differ: "
            f"{fp.describe(result.differing, machine.hashes(), notes)} (matching: {', '.join(result.matched) or 'none'}); "
            f"activate serial {fields['serial']} on this machine, or ask your vendor to transfer it"
        )


def verify(raw: bytes, *, trust: TrustStore, product: str | None, machine: fp.Fingerprint | None,
           origin: str = "certificate", on: dt.date | None = None) -> dict:
    """The certificate's fields once every check passed, in the order: form, issuer, signature,
    product, expiry, machine. Each failure is its own error type (core/errors.py)."""
    fields, signature = parse(raw, origin)
    check_signature(fields, signature, trust, origin)
    # A clock set back before the day the certificate was issued is not believed.
    issued = dt.date.fromisoformat(fields["issued_at"][:10])
    check_terms(fields, origin, product=product, on=max(on or today(), issued))
    if machine is not None and not fields.get("fingerprint_keyed"):
        check_machine(fields, machine, origin)  # older certificates; keyed ones: the sealed machine key decides
    return fields


def read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read certificate {path}: {exc.strerror}") from None

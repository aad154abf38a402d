"""The machine's side of licensing: find a valid certificate, activate online, request/install offline.

Light on purpose (the runtime imports it): the standard library (urllib) and `cryptography` only.

    obtain_content_key(product, serial_number=..., update_license=..., server_url=...) -> 32 bytes

is what the runtime calls for a license-bound bundle. Certificates are files `<product>_<serial>.cert.json`
(0600) in the licenses folder (machine.licenses_dir()).
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import os
import urllib.error
import urllib.request
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hpi.licensing import certificate as certs
from hpi.licensing import clock as _clock
from hpi.licensing.crypto import deactivation_message, possession_proof, unwrap_key
from hpi.licensing.fingerprint import Fingerprint, read_fingerprint
from hpi.licensing.machine import licenses_dir, load_machine_key, machine_key_for_activation, machine_public_key, \
    write_secret
from hpi.licensing.serials import normalize_serial
from hpi.core import errors
from hpi.core.errors import CertificateInvalid, FingerprintMismatch, HpiError, IssuerUntrusted, \
    LicenseError, LicenseNotFound, LicenseServerError, UsageError, WrongProduct

REQUEST_SCHEMA = "hpi.license-request/1"
OFFLINE_PATH = ("activate offline instead: `hpi-license request --out request.json`, send request.json to "
                "your vendor, then `hpi-license install CERT`")


def server_url_from(server_url: str | None) -> str:
    url = server_url or os.environ.get("HPI_LICENSE_SERVER")
    if not url:
        raise UsageError("online activation needs a license server: pass --license-server URL or set "
                         f"$HPI_LICENSE_SERVER; or {OFFLINE_PATH}")
    return url.rstrip("/")


def _refusal(base: str, status: int, payload: dict | None) -> HpiError:
    """The server's refusal as the same typed error it was raised as there."""
    if payload and isinstance(payload.get("message"), str):
        cls = getattr(errors, str(payload.get("error")), None)
        if isinstance(cls, type) and issubclass(cls, (LicenseError, UsageError)):
            return cls(payload["message"])
        return LicenseServerError(f"license server {base} refused (HTTP {status}): {payload['message']}")
    return LicenseServerError(f"license server {base} answered HTTP {status}; retry later or {OFFLINE_PATH}")


def call_server(base: str, path: str, body: dict | None, timeout: float = 20.0) -> dict:
    """POST `body` (GET when None) and return the JSON answer; refusals as their typed errors."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            payload = json.loads(exc.read())
        except (OSError, ValueError):
            payload = None
        raise _refusal(base, exc.code, payload) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        # HTTPException: the server died mid-answer (IncompleteRead is not an OSError).
        reason = getattr(exc, "reason", exc)
        raise LicenseServerError(f"license server {base} unreachable ({reason}); {OFFLINE_PATH}") from None


def request_certificate(server_url: str, serial: str, fingerprint: dict, machine_key: str,
                        product: str | None = None) -> bytes:
    """One activation call: the certificate file's bytes, unverified (the caller verifies)."""
    body = {"serial": serial, "fingerprint": fingerprint, "machine_key": machine_key, "product": product}
    answer = call_server(server_url_from(server_url), "/v1/activate", body)
    return str(answer.get("certificate", "")).encode()


def _save(raw: bytes, fields: dict) -> Path:
    return write_secret(licenses_dir() / f"{fields['product']}_{fields['serial']}.cert.json", raw)


def _check_machine_key(fields: dict, machine: Fingerprint, origin: str) -> X25519PrivateKey:
    """The machine key the certificate was issued to, opened here; FingerprintMismatch naming `origin`."""
    try:
        return load_machine_key(machine, fields["machine_key"])
    except FingerprintMismatch as exc:
        raise FingerprintMismatch(f"{origin}: {exc}") from None


def activate_online(serial_number: str, *, server_url: str | None = None, product: str | None = None,
                    trusted_issuers=None, machine: Fingerprint | None = None) -> Path:
    """Activate this machine; the verified certificate is saved in the licenses folder."""
    serial = normalize_serial(serial_number)
    url = server_url_from(server_url)
    machine = machine or read_fingerprint()
    key = machine_key_for_activation(machine)
    raw = request_certificate(url, serial, machine.hashes(), machine_public_key(key), product)
    fields = certs.verify(raw, trust=certs.issuer_trust(trusted_issuers), product=product, machine=machine,
                          origin=f"the certificate from {url}")
    return _save(raw, fields)


def deactivate_online(serial_number: str, *, server_url: str | None = None) -> int:
    """Free this machine's seat on the server and delete its certificates for the serial."""
    serial = normalize_serial(serial_number)
    url = server_url_from(server_url)
    machine = read_fingerprint()
    # The key the seat was bound with: the one this serial's certificate names, else this machine's.
    bound = [_declared(p.read_bytes()).get("machine_key") for p in licenses_dir().glob(f"*_{serial}.cert.json")]
    key = load_machine_key(machine, next((k for k in bound if k), None))
    public = machine_public_key(key)
    try:
        exchange = base64.b64decode(call_server(url, "/v1/health", None)["exchange_key"], validate=True)
    except (KeyError, TypeError, ValueError):
        raise LicenseServerError(f"license server {url} does not support deactivation with proof of "
                                 "possession; update it") from None
    at = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    proof = possession_proof(key, exchange, deactivation_message(serial, public, at))
    answer = call_server(url, "/v1/deactivate", {"serial": serial, "fingerprint": machine.hashes(),
                                                 "machine_key": public, "at": at, "proof": proof})
    for path in licenses_dir().glob(f"*_{serial}.cert.json"):
        path.unlink()
    return int(answer["seat"])


def make_request() -> dict:
    """The offline activation request: fingerprint hashes and the machine's public key, nothing raw."""
    machine = read_fingerprint()
    key = machine_key_for_activation(machine)
    return {"schema": REQUEST_SCHEMA, "fingerprint": machine.hashes(), "fingerprint_id": machine.id,
            "machine_key": machine_public_key(key)}


def install_certificate(path: Path, trusted_issuers=None) -> Path:
    """Check a certificate from the vendor against this machine, then copy it into the licenses folder."""
    raw = certs.read(path)
    machine = read_fingerprint()
    fields = certs.verify(raw, trust=certs.issuer_trust(trusted_issuers), product=None, machine=machine,
                          origin=str(path))
    _check_machine_key(fields, machine, str(path))
    return _save(raw, fields)


def _declared(raw: bytes) -> dict:
    """The fields a file claims, unverified: only used to pick which refusal to report."""
    try:
        return json.loads(raw)["certificate"]
    except (ValueError, KeyError, TypeError):
        return {}


def _candidates() -> list[Path]:
    folder = licenses_dir()
    return sorted(folder.glob("*.cert.json"), key=lambda p: p.stat().st_mtime, reverse=True) if folder.is_dir() else []


def _check_entitlement(fields: dict, origin: str, issuers, pipeline: str | None) -> None:
    """What the bundle asks beyond the product: its vendor's issuer, and its pipeline."""
    if issuers and fields["issuer"] not in issuers:
        raise IssuerUntrusted(f"{origin} was issued by key {fields['issuer']}, but this bundle accepts certificates "
                              f"from issuer {', '.join(issuers)} only (its vendor's); activate a serial from that vendor")
    if pipeline is not None and pipeline not in fields["pipelines"]:
        raise WrongProduct(f"{origin} (product {fields['product']!r}) entitles {', '.join(fields['pipelines'])}, "
                           f"not the {pipeline!r} pipeline; ask your vendor for a product that includes it")


def find_certificate(product: str, *, serial: str | None = None, trusted_issuers=None,
                     machine: Fingerprint | None = None, issuers=None,
                     pipeline: str | None = None) -> tuple[dict, X25519PrivateKey]:
    """The fields of the newest certificate here that passes every check for `product` (and, when given,
    is from one of `issuers` and entitles `pipeline`), and the machine key it was issued to.

    When none passes, the refusal reported is the one of the newest certificate for this product (and
    serial); certificates for other products only give WrongProduct when nothing else is here.
    """
    trust = certs.issuer_trust(trusted_issuers)
    machine = machine or read_fingerprint()
    refusals, others = [], set()
    on = _clock.today()
    for path in _candidates():
        raw = path.read_bytes()
        claimed = _declared(raw)
        if claimed.get("product") not in (None, product) or (serial and claimed.get("serial") not in (None, serial)):
            try:  # what a file claims counts only once its issuer's signature says so
                certs.verify(raw, trust=trust, product=None, machine=None, origin=str(path), on=on)
            except (CertificateInvalid, IssuerUntrusted) as exc:
                refusals.append(exc)
                continue
            except LicenseError:
                pass
            others.add((claimed.get("product"), claimed.get("serial")))
            continue
        try:
            fields = certs.verify(raw, trust=trust, product=product, machine=machine, origin=str(path), on=on)
            _check_entitlement(fields, str(path), issuers, pipeline)
            machine_key = _check_machine_key(fields, machine, str(path))
            _clock.saw(on)
            return fields, machine_key
        except LicenseError as exc:
            refusals.append(exc)
    if refusals:
        raise refusals[0]
    how = (f"activate online with `hpi-license activate --serial SERIAL` (or hpi-run --serial-number SERIAL "
           f"--update-license), or {OFFLINE_PATH}")
    for_product = sorted(s for p, s in others if p == product)
    if for_product:
        raise LicenseNotFound(f"no certificate for serial {serial} of product {product!r} in {licenses_dir()} "
                              f"(there are for serials {', '.join(for_product)}); {how}")
    if others:
        raise WrongProduct(f"the certificates in {licenses_dir()} license {', '.join(sorted({p for p, _ in others}))}, "
                           f"not {product!r}; {how}")
    raise LicenseNotFound(f"no license certificate for product {product!r} in {licenses_dir()}; {how}")


def obtain_certificate(product: str, *, serial_number: str | None = None, update_license: bool = False,
                       server_url: str | None = None, trusted_issuers=None, issuers=None,
                       pipeline: str | None = None) -> tuple[dict, X25519PrivateKey]:
    """A valid certificate for this machine (its fields) and the machine key it was issued to.

    With `serial_number` and `update_license`, activates online first (server from `server_url`, else
    $HPI_LICENSE_SERVER). Refusals are typed LicenseError subclasses (core/errors.py).
    """
    serial = normalize_serial(serial_number) if serial_number else None
    if update_license and not serial:
        raise UsageError("--update-license needs --serial-number: the serial to activate")
    machine = read_fingerprint()
    if update_license:
        activate_online(serial, server_url=server_url, product=product, trusted_issuers=trusted_issuers,
                        machine=machine)
    return find_certificate(product, serial=serial, trusted_issuers=trusted_issuers, machine=machine,
                            issuers=issuers, pipeline=pipeline)


def product_key(fields: dict, machine_key: X25519PrivateKey, generation: int = 1) -> bytes:
    """Generation `generation` of the product's content key, unwrapped from a certificate."""
    wrapped = (fields.get("content_keys") or {}).get(str(generation))
    if wrapped is not None:
        return unwrap_key(wrapped, machine_key, f"{fields['product']}#{generation}")
    if generation == 1:
        return unwrap_key(fields["content_key"], machine_key, fields["product"])
    raise LicenseNotFound(f"the certificate for serial {fields['serial']} predates key generation {generation} "
                          f"of product {fields['product']!r}, which this bundle was sealed with; activate again "
                          "(`hpi-license activate --serial SERIAL`, or `hpi-license request` offline) to get it")


def obtain_content_key(product: str, *, generation: int = 1, **how) -> bytes:
    """The product's 32-byte content key (generation `generation`) from a valid certificate for this
    machine; `how`: obtain_certificate's keywords."""
    fields, machine_key = obtain_certificate(product, **how)
    return product_key(fields, machine_key, generation)


def installed_certificates(trusted_issuers=None) -> list[dict]:
    """Every certificate here with its status ("valid" or the refusal), for `hpi-license show`."""
    trust = certs.issuer_trust(trusted_issuers)
    machine = read_fingerprint()
    found = []
    for path in _candidates():
        claimed = _declared(path.read_bytes())
        try:
            certs.verify(path.read_bytes(), trust=trust, product=None, machine=machine, origin=path.name)
            _check_machine_key(claimed, machine, path.name)
            status = "valid"
        except LicenseError as exc:
            status = f"{type(exc).__name__}: {exc}"
        found.append({"path": str(path), "product": claimed.get("product"), "serial": claimed.get("serial"),
                      "expires": claimed.get("expires"), "status": status})
    return found

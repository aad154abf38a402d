"""License-bound bundles: the manifest's `license` section, written by the compiler, read by the runtime.

    section, members = seal(members, product=..., issuers=[...], encrypt=True, db_url=...)
    key = bundle_key(manifest, serial_number=..., update_license=..., server_url=...)   # None if not encrypted

Each encrypted bundle has its own 256-bit key, derived from the newest generation of its product's content
key and the bundle's own contents, and stored in the signed manifest wrapped under that generation. The
members (models and golden tensors) are encrypted with the bundle key. So a bundle key taken from a
running process opens that bundle only, and after `hpi-license rotate-key` new bundles are sealed with a
key that certificates issued before the rotation do not carry.

The section also names the issuers whose certificates count (a license-bound bundle runs with a
certificate from its vendor only, not from any issuer this machine trusts) and the runtime checks that
the certificate entitles the bundle's pipeline.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hpi.licensing.crypto import encrypt_member
from hpi.core.errors import LicenseError

ALGORITHM = "AES-256-GCM"
_INFO = b"hpi.bundle-key/1"
SEALED_PREFIXES = ("models/", "golden/")


def _derive(product_key: bytes, members: dict[str, bytes]) -> bytes:
    """Deterministic (the same bundle compiles to the same bytes) and distinct per bundle content."""
    digest = hashlib.sha256()
    for name in sorted(members):
        digest.update(name.encode() + b"\0" + hashlib.sha256(members[name]).digest())
    return hmac.new(product_key, _INFO + digest.digest(), hashlib.sha256).digest()


def _aad(product: str, generation: int) -> bytes:
    return _INFO + f"|{product}|{generation}".encode()


def wrap_bundle_key(product_key: bytes, bundle_key: bytes, product: str, generation: int) -> dict:
    nonce = hmac.new(product_key, b"nonce" + bundle_key, hashlib.sha256).digest()[:12]
    sealed = AESGCM(product_key).encrypt(nonce, bundle_key, _aad(product, generation))
    return {"generation": generation, "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(sealed).decode()}


def unwrap_bundle_key(product_key: bytes, wrapped: dict, product: str) -> bytes:
    try:
        nonce = base64.b64decode(wrapped["nonce"], validate=True)
        sealed = base64.b64decode(wrapped["ciphertext"], validate=True)
        return AESGCM(product_key).decrypt(nonce, sealed, _aad(product, int(wrapped["generation"])))
    except (KeyError, TypeError, ValueError, InvalidTag):
        raise LicenseError(f"the bundle's key does not unwrap with product {product!r}'s key generation "
                           f"{wrapped.get('generation')}: the bundle was sealed for another product or altered") from None


def issuer_ids(public_keys) -> list[str]:
    """Key ids of the issuers (PEM public key files) whose certificates a bundle accepts."""
    from hpi.core.signing import key_id, load_public_key

    return sorted({key_id(load_public_key(p)) for p in public_keys})


def seal(members: dict[str, bytes], *, product: str, issuers: list[str], encrypt: bool,
         db_url: str | None = None) -> tuple[dict, dict[str, bytes]]:
    """The manifest's license section and the members, encrypted with a new bundle key when `encrypt`."""
    section = {"product": product, "issuers": sorted(issuers), "encrypted_members": []}
    if not encrypt:
        return section, members
    from hpi.licensing.db import Database
    from hpi.licensing.issuer import get_product, product_keys

    db = Database(db_url, must_exist=True)
    get_product(db, product)  # a clear error for an unknown product
    with db.transaction() as tx:
        keys = product_keys(tx, product)
    generation = max(keys)
    sealed = sorted(n for n in members if n.startswith(SEALED_PREFIXES))
    key = _derive(keys[generation], {n: members[n] for n in sealed})
    members = {n: encrypt_member(key, n, d) if n in sealed else d for n, d in members.items()}
    section.update(encrypted_members=sealed, algorithm=ALGORITHM,
                   bundle_key=wrap_bundle_key(keys[generation], key, product, generation))
    return section, members


def bundle_key(manifest: dict, *, serial_number=None, update_license=False, server_url=None,
               trusted_issuers=None) -> bytes | None:
    """Check the license a bundle requires (LicenseError when absent); the key of an encrypted bundle."""
    from hpi.licensing.client import obtain_certificate, product_key

    license = manifest["license"]
    fields, machine_key = obtain_certificate(
        license["product"], serial_number=serial_number, update_license=update_license, server_url=server_url,
        trusted_issuers=trusted_issuers, issuers=license.get("issuers"), pipeline=manifest["pipeline"]["name"])
    if not license.get("encrypted_members"):
        return None
    wrapped = license.get("bundle_key")
    if wrapped is None:  # bundles sealed before bundle keys: the product key itself
        return product_key(fields, machine_key, 1)
    return unwrap_bundle_key(product_key(fields, machine_key, int(wrapped["generation"])), wrapped,
                             license["product"])

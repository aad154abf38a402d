"""The licenses folder and this machine's X25519 key, sealed by the machine's own fingerprint.

Content keys are wrapped to the machine key (crypto.py). If the key sat in a plain file, copying the
licenses folder would copy the ability to unwrap, and only the fingerprint *check* (Python anyone can
edit) would stand in the way. So the private key is stored encrypted, once per subset of fingerprint
components that the tolerance rule accepts (N−1 of the N present components, an anchor among them),
each copy under a key derived from those components' raw values. The raw values are never written
anywhere, so on another machine no copy opens, while one changed component still opens one.

Folder: `$HPI_LICENSES_DIR`, else `$HPI_CONFIG_DIR/licenses` (`~/.config/hpi/licenses`); mode 0700,
files 0600.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hpi.licensing import fingerprint as fp
from hpi.licensing.crypto import raw_x25519_public
from hpi.core.files import write_atomic
from hpi.core.signing import config_dir
from hpi.core.errors import FingerprintMismatch

MACHINE_KEY_FILE = "machine_key.json"
SCHEMA = "hpi.machine-key/1"


def licenses_dir() -> Path:
    return Path(os.environ.get("HPI_LICENSES_DIR") or config_dir() / "licenses")


def write_secret(path: Path, data: bytes) -> Path:
    """Write a file readable by its owner only (0600), atomically, in a 0700 folder."""
    Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return write_atomic(path, data, mode=0o600)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _kek(values: dict[str, str], names: tuple[str, ...], salt: bytes) -> bytes:
    ikm = "\0".join(f"{n}={values[n]}" for n in names).encode()
    info = b"hpi.machine-key/1|" + ",".join(names).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def _accepted_subsets(present: list[str]) -> list[tuple[str, ...]]:
    """The component sets whose match alone satisfies the tolerance rule (see fingerprint.py)."""
    return [s for s in itertools.combinations(sorted(present), len(present) - 1)
            if any(n in fp.ANCHORS for n in s)]


def _seal(private: X25519PrivateKey, machine: fp.Fingerprint) -> bytes:
    machine.require_usable()
    values = machine.values()
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    public = raw_x25519_public(private.public_key())
    seals = []
    for names in _accepted_subsets(list(values)):
        salt, nonce = os.urandom(16), os.urandom(12)
        sealed = AESGCM(_kek(values, names, salt)).encrypt(nonce, raw, public)
        seals.append({"components": list(names), "salt": _b64(salt), "nonce": _b64(nonce),
                      "ciphertext": _b64(sealed)})
    doc = {"schema": SCHEMA, "public_key": _b64(public), "fingerprint": machine.hashes(), "seals": seals}
    return json.dumps(doc, indent=1, sort_keys=True).encode()


def _unseal(doc: dict, machine: fp.Fingerprint) -> X25519PrivateKey | None:
    values = machine.values()
    public = base64.b64decode(doc["public_key"])
    for seal in doc["seals"]:
        names = tuple(seal["components"])
        if not all(n in values for n in names):
            continue
        try:
            raw = AESGCM(_kek(values, names, base64.b64decode(seal["salt"]))).decrypt(
                base64.b64decode(seal["nonce"]), base64.b64decode(seal["ciphertext"]), public)
        except InvalidTag:
            continue
        return X25519PrivateKey.from_private_bytes(raw)
    return None


def machine_key_path() -> Path:
    return licenses_dir() / MACHINE_KEY_FILE


def _key_documents() -> list[tuple[Path, dict]]:
    """The current machine key first, then the earlier ones kept beside it (machine_key-<id>.json)."""
    paths = [machine_key_path()] + sorted(licenses_dir().glob("machine_key-*.json"))
    found = []
    for path in paths:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and doc.get("schema") == SCHEMA:
            found.append((path, doc))
    return found


def load_machine_key(machine: fp.Fingerprint, public_key: str | None = None) -> X25519PrivateKey:
    """This machine's key (the one with `public_key`, when given: the key a certificate was issued to),
    or FingerprintMismatch naming what differs from the machine that made it."""
    folder = licenses_dir()
    documents = [(p, d) for p, d in _key_documents() if public_key is None or d.get("public_key") == public_key]
    if not documents:
        if public_key is not None and _key_documents():
            raise FingerprintMismatch(
                f"the certificate was issued to a machine key that is not in {folder}; it answers another "
                "request: run `hpi-license request` here and ask for a certificate for that request")
        raise FingerprintMismatch(
            f"no machine key in {folder}: this machine was never activated; run "
            "`hpi-license activate --serial S` (online) or `hpi-license request` (offline)")
    for _, doc in documents:
        try:
            key = _unseal(doc, machine)
        except (KeyError, TypeError, ValueError) as exc:
            raise FingerprintMismatch(f"cannot read the machine key in {folder} ({exc}); activate again") from None
        if key is not None:
            return key
    result = fp.match(documents[0][1].get("fingerprint", {}), machine.hashes())
    notes = {n: c.note for n, c in machine.components.items()}
    raise FingerprintMismatch(
        f"the licenses folder {folder} was made on another machine: its machine key does not open "
        f"here (differs: {fp.describe(result.differing, machine.hashes(), notes)}; matching: "
        f"{', '.join(result.matched) or 'none'}); activate this machine with its own serial or transfer the license"
    )


def machine_key_for_activation(machine: fp.Fingerprint) -> X25519PrivateKey:
    """The key to bind a new certificate to: this machine's, resealed with today's components.

    A key that opens here (the current one, or an earlier one: the hardware is back) is kept. When none
    opens, a new key becomes current and the others are kept beside it, never replaced: a machine asked
    to activate while out of tolerance gets its certificates back when its hardware is back.
    """
    machine.require_usable()
    documents = _key_documents()
    opened = next(((p, k) for p, d in documents if (k := _try_unseal(d, machine)) is not None), None)
    path, key = opened or (None, X25519PrivateKey.generate())
    public = machine_public_key(key)
    current = machine_key_path()
    replaced = dict(documents).get(current)
    if replaced and replaced.get("public_key") != public:  # set the current key aside, under its own name
        os.replace(current, current.with_name(f"machine_key-{_key_name(replaced['public_key'])}.json"))
    write_secret(current, _seal(key, machine))
    if path is not None and path != current:
        path.unlink()  # it is the current key now
    return key


def _try_unseal(doc: dict, machine: fp.Fingerprint) -> X25519PrivateKey | None:
    try:
        return _unseal(doc, machine)
    except (KeyError, TypeError, ValueError):
        return None


def _key_name(public_key: str) -> str:
    import hashlib

    return hashlib.sha256(public_key.encode()).hexdigest()[:16]


def machine_public_key(key: X25519PrivateKey) -> str:
    return _b64(raw_x25519_public(key.public_key()))

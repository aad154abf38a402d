"""Symmetric encryption of bundle members and the wrapping of content keys to machines.

- Members: AES-256-GCM with the product's 32-byte content key; the 96-bit nonce, prefixed to the
  ciphertext, is HMAC-SHA256(key, name || sha256(data)) truncated: the same member encrypts to the
  same bytes (bundles stay byte-identical across compiles) and different contents never share a
  nonce; the member's name is the associated data, so swapping two encrypted members (or renaming
  one) fails authentication instead of feeding one model the other's weights.
- Content keys travel only inside certificates, wrapped to one machine's X25519 public key: an
  ephemeral X25519 key pair, HKDF-SHA256 over the shared secret (info binds both public keys), and
  AES-256-GCM with the product name as associated data. Only the holder of the machine's private key,
  which is sealed by the machine's own fingerprint (machine.py), can unwrap it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hpi.core.bundle_format import ENCRYPTED_MEMBER_MAGIC
from hpi.core.errors import BundleError, CertificateInvalid, LicenseError

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
WRAP_ALGORITHM = "x25519-hkdf-sha256-aes256gcm"


def new_content_key() -> bytes:
    return os.urandom(KEY_BYTES)


def _check_key(key: bytes) -> None:
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_BYTES:
        raise LicenseError(f"a content key is {KEY_BYTES} bytes; got {len(key) if key else 0}")


def encrypt_member(key: bytes, name: str, data: bytes) -> bytes:
    """ENCRYPTED_MEMBER_MAGIC || nonce (12 bytes) || AES-256-GCM(data, aad=name) with its 16-byte tag."""
    _check_key(key)
    digest = hashlib.sha256(bytes(data)).digest()
    nonce = hmac.new(bytes(key), name.encode() + b"\0" + digest, hashlib.sha256).digest()[:NONCE_BYTES]
    return ENCRYPTED_MEMBER_MAGIC + nonce + AESGCM(bytes(key)).encrypt(nonce, bytes(data), name.encode())


def decrypt_member(key: bytes, name: str, blob: bytes) -> bytes:
    """The plaintext, in memory; a wrong key, another member's bytes or any change is refused."""
    _check_key(key)
    if bytes(blob[:len(ENCRYPTED_MEMBER_MAGIC)]) == ENCRYPTED_MEMBER_MAGIC:
        blob = blob[len(ENCRYPTED_MEMBER_MAGIC):]  # (bundles made before the marker have none)
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise BundleError(f"encrypted member {name} is {len(blob)} bytes, shorter than nonce + tag")
    nonce, ciphertext = bytes(blob[:NONCE_BYTES]), bytes(blob[NONCE_BYTES:])
    try:
        return AESGCM(bytes(key)).decrypt(nonce, ciphertext, name.encode())
    except InvalidTag:
        raise LicenseError(
            f"member {name} does not decrypt with this license's content key: the bundle was encrypted "
            "for another product (or its key was rotated), or the member was moved; use a certificate "
            "for the product the bundle was compiled for"
        ) from None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _hkdf(shared: bytes, ephemeral_pub: bytes, machine_pub: bytes) -> bytes:
    info = b"hpi.content-key/1" + ephemeral_pub + machine_pub
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(shared)


def raw_x25519_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def wrap_key(content_key: bytes, machine_public: bytes, product: str) -> dict:
    """The content key, readable only with the private key of `machine_public` (raw 32 bytes)."""
    _check_key(content_key)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_pub = raw_x25519_public(ephemeral.public_key())
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(machine_public))
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_hkdf(shared, ephemeral_pub, machine_public)).encrypt(nonce, content_key, product.encode())
    return {"algorithm": WRAP_ALGORITHM, "ephemeral": _b64(ephemeral_pub), "nonce": _b64(nonce),
            "ciphertext": _b64(sealed)}


def unwrap_key(wrapped: dict, machine_private: X25519PrivateKey, product: str) -> bytes:
    try:
        if wrapped["algorithm"] != WRAP_ALGORITHM:
            raise ValueError(f"algorithm {wrapped['algorithm']!r}")
        ephemeral_pub = base64.b64decode(wrapped["ephemeral"], validate=True)
        nonce = base64.b64decode(wrapped["nonce"], validate=True)
        sealed = base64.b64decode(wrapped["ciphertext"], validate=True)
        shared = machine_private.exchange(X25519PublicKey.from_public_bytes(ephemeral_pub))
    except (KeyError, TypeError, ValueError) as exc:
        raise CertificateInvalid(f"malformed wrapped content key in the certificate ({exc})") from None
    machine_pub = raw_x25519_public(machine_private.public_key())
    try:
        return AESGCM(_hkdf(shared, ephemeral_pub, machine_pub)).decrypt(nonce, sealed, product.encode())
    except InvalidTag:
        raise CertificateInvalid(
            "the certificate's content key is not wrapped to this machine's key; activate again on "
            "this machine (hpi-license activate) or request a new certificate (hpi-license request)"
        ) from None


# -- proof of possession: a machine shows it holds the private key its seat was bound with -------------


def _issuer_secret(issuer_key, info: bytes) -> bytes:
    """A 32-byte secret derived from the issuer's Ed25519 key for one purpose (nothing more to keep)."""
    raw = issuer_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                   serialization.NoEncryption())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(raw)


def exchange_key_from_issuer(issuer_key) -> X25519PrivateKey:
    """The license server's X25519 key (proofs of possession)."""
    return X25519PrivateKey.from_private_bytes(_issuer_secret(issuer_key, b"hpi.server-exchange/1"))


def fingerprint_key_from_issuer(issuer_key) -> bytes:
    """The issuer's secret for keying fingerprint hashes (issuer.keyed_fingerprint)."""
    return _issuer_secret(issuer_key, b"hpi.fingerprint-key/1")


def _possession_mac(shared: bytes, message: bytes) -> str:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hpi.possession/1").derive(shared)
    return _b64(hmac.new(key, message, hashlib.sha256).digest())


def possession_proof(machine_private: X25519PrivateKey, exchange_public: bytes, message: bytes) -> str:
    """A MAC over `message` under X25519(machine key, server's exchange key): only the holder of the
    machine's private key (or the server) can make it."""
    return _possession_mac(machine_private.exchange(X25519PublicKey.from_public_bytes(exchange_public)), message)


def deactivation_message(serial: str, machine_key: str, at: str) -> bytes:
    """What a deactivation proves possession over: the serial, the seat's machine key, the time."""
    return f"hpi.deactivate/1\n{serial}\n{machine_key}\n{at}".encode()


def check_possession(exchange_private: X25519PrivateKey, machine_public: bytes, message: bytes, proof) -> bool:
    try:
        expected = _possession_mac(exchange_private.exchange(X25519PublicKey.from_public_bytes(machine_public)),
                                   message)
    except ValueError:
        return False
    return isinstance(proof, str) and hmac.compare_digest(expected, proof)

"""Ed25519 keys and signatures for bundles.

Key files are PEM (PKCS#8 private, SubjectPublicKeyInfo public). A key is named by its key id: the first
16 hex digits of sha256 over the raw 32-byte public key. Trust is a set of public keys read from files
or folders; a signature verifies only when its key id is trusted *and* the embedded public key is the
trusted one byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hpi.core.errors import SignatureError, UsageError
from hpi.core.files import write_atomic

ALGORITHM = "ed25519"


def config_dir() -> Path:
    return Path(os.environ.get("HPI_CONFIG_DIR", Path.home() / ".config" / "hpi"))


def default_signing_key_path() -> Path:
    return Path(os.environ.get("HPI_SIGNING_KEY", config_dir() / "signing_key.pem"))


def default_trusted_keys_dir() -> Path:
    return config_dir() / "trusted_keys"


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw_public(public_key)).hexdigest()[:16]


def generate_keypair(private_path: Path, *, overwrite: bool = False) -> tuple[Path, Path]:
    """Write a new private key (mode 0600) and its public key beside it (`<name>.pub`)."""
    private_path = Path(private_path)
    public_path = private_path.with_suffix(".pub")
    if private_path.exists() and not overwrite:
        raise UsageError(f"{private_path} already exists; pass --force to replace it")
    key = Ed25519PrivateKey.generate()
    write_atomic(private_path, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), mode=0o600)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_path, public_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    path = Path(path)
    if not path.is_file():
        raise UsageError(
            f"signing key {path} not found; create one with `hpi-license keygen` or pass --no-sign"
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read public key {path}: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{path} is not an Ed25519 public key")
    return key


def _b64(text: str) -> bytes:
    """Strict base64: unused padding bits must be zero, so one value has exactly one spelling."""
    raw = base64.b64decode(text, validate=True)
    if base64.b64encode(raw).decode() != text:
        raise ValueError("non-canonical base64")
    return raw


@dataclass(frozen=True)
class Signature:
    key_id: str
    public_key: bytes  # raw 32 bytes
    value: bytes  # raw 64 bytes

    def to_dict(self) -> dict:
        return {
            "algorithm": ALGORITHM,
            "key_id": self.key_id,
            "public_key": base64.b64encode(self.public_key).decode(),
            "signature": base64.b64encode(self.value).decode(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Signature":
        try:
            if data["algorithm"] != ALGORITHM:
                raise SignatureError(f"signature algorithm {data['algorithm']!r} is not {ALGORITHM!r}")
            return cls(key_id=str(data["key_id"]), public_key=_b64(data["public_key"]),
                       value=_b64(data["signature"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise SignatureError(f"malformed signature block ({exc})") from None

    def check_integrity(self, payload: bytes) -> None:
        """The signature verifies under the key it carries (says nothing of whether that key is trusted)."""
        try:
            public = Ed25519PublicKey.from_public_bytes(self.public_key)
            if key_id(public) != self.key_id:
                raise ValueError("its key id does not match its public key")
            public.verify(self.value, payload)
        except (InvalidSignature, ValueError) as exc:
            raise SignatureError(f"bundle signature is invalid ({exc or 'does not verify'}): the manifest was "
                                 "changed after signing") from None


def sign(payload: bytes, private_key: Ed25519PrivateKey) -> Signature:
    public = private_key.public_key()
    return Signature(key_id(public), _raw_public(public), private_key.sign(payload))


class TrustStore:
    """Public keys this machine trusts, by key id."""

    def __init__(self, keys: list[Ed25519PublicKey] = ()):
        self._keys = {key_id(k): _raw_public(k) for k in keys}

    @classmethod
    def from_paths(cls, paths: list[Path]) -> "TrustStore":
        """Files are PEM public keys; folders contribute every `*.pub` file in them."""
        keys = []
        for path in map(Path, paths):
            if path.is_dir():
                keys += [load_public_key(p) for p in sorted(path.glob("*.pub"))]
            elif path.exists():
                keys.append(load_public_key(path))
            else:
                raise UsageError(f"trusted key {path} not found")
        return cls(keys)

    @classmethod
    def default(cls, extra: list[Path] = ()) -> "TrustStore":
        """`extra` files, then $HPI_TRUSTED_KEYS (os.pathsep-separated), then the config folder."""
        paths = list(extra)
        env = os.environ.get("HPI_TRUSTED_KEYS")
        if env:
            paths += [Path(p) for p in env.split(os.pathsep) if p]
        if default_trusted_keys_dir().is_dir():
            paths.append(default_trusted_keys_dir())
        return cls.from_paths(paths)

    def __len__(self) -> int:
        return len(self._keys)

    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    def public_key(self, key_id: str) -> bytes | None:
        """The trusted raw public key for `key_id`, or None (lets callers word their own refusal)."""
        return self._keys.get(key_id)

    def verify(self, payload: bytes, signature: Signature) -> None:
        trusted = self._keys.get(signature.key_id)
        if trusted is None:
            known = ", ".join(sorted(self._keys)) or "none"
            raise SignatureError(
                f"bundle signed by key {signature.key_id}, which is not trusted here (trusted: {known}); "
                "trust the signer's public key with `hpi-license trust FILE.pub` (or pass --trusted-key FILE)"
            )
        if trusted != signature.public_key:
            raise SignatureError(f"public key in the bundle does not match trusted key {signature.key_id}")
        try:
            Ed25519PublicKey.from_public_bytes(trusted).verify(signature.value, payload)
        except InvalidSignature:
            raise SignatureError(
                "bundle signature is invalid: the manifest was changed after signing"
            ) from None


def trust_public_key(public_path: Path, trusted_dir: Path | None = None) -> Path:
    """Copy a public key into the trusted-keys folder under its key id."""
    key = load_public_key(public_path)
    trusted_dir = Path(trusted_dir or default_trusted_keys_dir())
    trusted_dir.mkdir(parents=True, exist_ok=True)
    dest = trusted_dir / f"{key_id(key)}.pub"
    dest.write_bytes(Path(public_path).read_bytes())
    return dest

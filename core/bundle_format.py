"""The `.hpi` file: written by the compiler, read by the runtime, strictly checked before use.

Layout (docs/bundle-format.md):

    MAGIC (8 bytes) | u64 manifest_len | manifest (canonical JSON)
                    | u64 signature_len | signature (canonical JSON, may be empty) | data

Every member is a byte range of `data` listed in the manifest with its sha256; the members tile
`data` exactly, in name order, and the file ends where the last member ends. The signature covers the
manifest bytes as stored; the manifest covers every member. The layout and signature are checked at open;
a member's bytes are checked against its sha256 before they are first handed out (so a run hashes, and
pages in, only the members it uses: an OpenVINO run skips the ONNX ones), and `verify_members` checks
them all. Nothing is unpickled, nothing is written.

The writer is beside the reader so the two cannot drift: same manifest, members and key give a
byte-identical file (Ed25519 signatures are deterministic), written atomically (core/files.py).
"""

from __future__ import annotations

import functools
import hashlib
import json
import mmap
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from hpi.core.canonical import canonical_json
from hpi.core.errors import BundleError, SignatureError, UsageError
from hpi.core.files import atomic_file
from hpi.core.manifest import Manifest

MAGIC = b"\x89HPI\r\n\x1a\n"
SCHEMA = "hpi.bundle/1"
# Encrypted members (licensing/crypto.py) start with this, so a member that is encrypted but not listed
# as such (a stripped license section) is refused as an altered bundle, not fed to a backend.
ENCRYPTED_MEMBER_MAGIC = b"HPI-AES256GCM\x00"
MAX_MANIFEST_BYTES = 16 << 20
MAX_SIGNATURE_BYTES = 4096
MAX_MEMBERS = 4096
MAX_MEMBER_BYTES = 8 << 30
_LEN = struct.Struct("<Q")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*")


def check_member_name(name: str) -> None:
    """Relative POSIX paths of safe characters only: no absolute path, `..`, `\\` or empty part."""
    if not isinstance(name, str) or len(name) > 255 or not _NAME.fullmatch(name) or ".." in name.split("/"):
        raise BundleError(f"refused member name {name!r}: must be a relative path of [A-Za-z0-9._-] parts")


def _no_duplicate_keys(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise BundleError(f"duplicate key {key!r} in bundle header")
        obj[key] = value
    return obj


def _parse_canonical(raw: bytes, what: str) -> dict:
    try:
        obj = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BundleError(f"bundle {what} is not valid JSON ({exc}); the file is corrupt") from None
    if not isinstance(obj, dict) or canonical_json(obj) != raw:
        raise BundleError(f"bundle {what} is not in canonical form; the file was altered")
    return obj


@dataclass(frozen=True)
class Member:
    name: str
    offset: int
    size: int
    sha256: str


def write_bundle(path: Path, manifest: dict, members: dict[str, bytes], private_key=None) -> dict:
    """Write a bundle atomically: `manifest` without `schema`/`members` (added here), `members` maps
    name → bytes, signed with `private_key` when given. Returns the manifest as written."""
    names = sorted(members)
    entries, offset = [], 0
    for name in names:
        check_member_name(name)
        data = members[name]
        entries.append({"name": name, "offset": offset, "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest()})
        offset += len(data)
    manifest = {**manifest, "schema": SCHEMA, "members": entries}
    manifest_bytes = canonical_json(manifest)
    signature_bytes = b""
    if private_key is not None:
        from hpi.core.signing import sign

        signature_bytes = canonical_json(sign(manifest_bytes, private_key).to_dict())
    with atomic_file(path) as f:
        f.write(MAGIC)
        for section in (manifest_bytes, signature_bytes):
            f.write(_LEN.pack(len(section)))
            f.write(section)
        for name in names:
            f.write(members[name])
    return manifest


class Bundle:
    """An opened, checked bundle. Use `Bundle.open(path, trust=...)`."""

    def __init__(self, path: Path, manifest: dict, manifest_bytes: bytes, signature: dict | None,
                 data: memoryview, members: dict[str, Member]):
        self.path = path
        self.manifest = manifest  # the signed document as stored (what hpi inspect / diff show)
        self.manifest_bytes = manifest_bytes
        self.signature = signature
        self._data = data
        self.members = members
        self._verified: set[str] = set()

    @classmethod
    def open(cls, path, *, trust=None, allow_unsigned: bool = False, check_signature: bool = True) -> "Bundle":
        """Parse, check the member layout, verify the signature against `trust` (a licensing TrustStore).

        `allow_unsigned` accepts a bundle with no signature, and without `trust` one whose signer cannot
        be checked; a signature that is present must still verify under the key it carries.
        `check_signature=False` leaves the signature to the caller (`hpi inspect` reports it).
        """
        path = Path(path)
        try:
            with open(path, "rb") as f:
                buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except FileNotFoundError:  # a usage error (exit 2), like any other missing file
            raise UsageError(f"bundle {path} not found; expected a .hpi file made by hpi-compile") from None
        except IsADirectoryError:
            raise UsageError(f"{path} is a folder; expected a .hpi file made by hpi-compile") from None
        except (OSError, ValueError) as exc:
            raise BundleError(f"cannot read bundle {path}: {exc}") from None
        view = memoryview(buf)
        manifest_bytes, signature_bytes, data_start = _split_header(view, path)
        manifest = _parse_canonical(manifest_bytes, "manifest")
        if manifest.get("schema") != SCHEMA:
            raise BundleError(f"{path}: bundle schema {manifest.get('schema')!r} is not {SCHEMA!r}; "
                              "recompile with this hpi version")
        signature = _parse_canonical(signature_bytes, "signature") if signature_bytes else None
        if check_signature:
            _check_signature(manifest_bytes, signature, trust, allow_unsigned, path)
        data = view[data_start:]
        members = _check_members(manifest.get("members"), data, path)
        return cls(path, manifest, manifest_bytes, signature, data, members)

    @functools.cached_property
    def contents(self) -> Manifest:
        """The manifest parsed into typed records, once: what the runtime reads (BundleError if malformed).
        Parsed on first use, so tools that only look at the layout (`hpi inspect`) need none of it."""
        return Manifest.from_dict(self.manifest)

    def read(self, name: str) -> memoryview:
        """A member's bytes (zero-copy), verified against its sha256 (on first read)."""
        member = self.members.get(name)
        if member is None:
            raise BundleError(f"{self.path}: member {name!r} is not in the bundle")
        data = self._data[member.offset:member.offset + member.size]
        if name not in self._verified:
            if hashlib.sha256(data).hexdigest() != member.sha256:
                raise BundleError(f"{self.path}: member {name!r} does not match its sha256 (corrupt or tampered)")
            self._verified.add(name)
        return data

    def verify_members(self) -> "Bundle":
        """Check every member against its sha256 now (BundleError on the first that differs)."""
        for name in self.members:
            self.read(name)
        return self

    def read_array(self, name: str):
        """A `.npy` member as a numpy array (pickles refused)."""
        return npy_array(self.read(name))


def npy_array(data):
    """`.npy` bytes as a numpy array; pickles refused (a bundle never makes the runtime unpickle)."""
    import io

    import numpy as np

    return np.load(io.BytesIO(bytes(data)), allow_pickle=False)


def _split_header(view: memoryview, path: Path) -> tuple[bytes, bytes, int]:
    pos = len(MAGIC)
    if bytes(view[:pos]) != MAGIC:
        raise BundleError(f"{path} is not an hpi bundle (bad magic); expected a file made by hpi-compile")
    sections = []
    for what, cap in (("manifest", MAX_MANIFEST_BYTES), ("signature", MAX_SIGNATURE_BYTES)):
        if len(view) < pos + _LEN.size:
            raise BundleError(f"{path} is truncated (no {what} length)")
        (length,) = _LEN.unpack_from(view, pos)
        pos += _LEN.size
        if length > cap or pos + length > len(view):
            raise BundleError(f"{path}: {what} length {length} is past the file end or the {cap}-byte cap")
        sections.append(bytes(view[pos:pos + length]))
        pos += length
    return sections[0], sections[1], pos


def _check_signature(manifest_bytes: bytes, signature: dict | None, trust, allow_unsigned: bool, path) -> None:
    if signature is None:
        if not allow_unsigned:
            raise SignatureError(f"{path} is unsigned; sign it with hpi-compile or pass --allow-unsigned")
        return
    from hpi.core.signing import Signature

    if trust is None:
        if allow_unsigned:
            # No trusted keys to say who signed it, but a signature that is there must still hold:
            # a manifest changed after signing is refused like any other altered bundle.
            Signature.from_dict(signature).check_integrity(manifest_bytes)
            return
        raise SignatureError(f"no trusted keys to check {path}; trust the signer's public key with "
                             "`hpi-license trust FILE.pub` (or pass --trusted-key FILE)")
    trust.verify(manifest_bytes, Signature.from_dict(signature))


def _check_members(entries, data: memoryview, path: Path) -> dict[str, Member]:
    if not isinstance(entries, list) or len(entries) > MAX_MEMBERS:
        raise BundleError(f"{path}: manifest member list missing or longer than {MAX_MEMBERS}")
    members: dict[str, Member] = {}
    expected_offset = 0
    previous = ""
    for entry in entries:
        try:
            member = Member(entry["name"], int(entry["offset"]), int(entry["size"]), str(entry["sha256"]))
        except (KeyError, TypeError, ValueError):
            raise BundleError(f"{path}: malformed member entry {entry!r}") from None
        check_member_name(member.name)
        if member.name in members:
            raise BundleError(f"{path}: duplicate member {member.name!r}")
        if member.name < previous:
            raise BundleError(f"{path}: members are not in name order at {member.name!r}")
        if member.offset != expected_offset or not 0 <= member.size <= MAX_MEMBER_BYTES:
            raise BundleError(f"{path}: member {member.name!r} has offset/size outside the data layout")
        expected_offset += member.size
        if expected_offset > len(data):
            raise BundleError(f"{path} is truncated: member {member.name!r} ends past the file end")
        if not re.fullmatch(r"[0-9a-f]{64}", member.sha256):
            raise BundleError(f"{path}: member {member.name!r} has a malformed sha256")
        members[member.name] = member
        previous = member.name
    if expected_offset != len(data):
        raise BundleError(f"{path} has {len(data) - expected_offset} bytes after its last member")
    return members

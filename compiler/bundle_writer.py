"""BundleFromArtifacts: write a signed, deterministic `.hpi` file atomically.

Same manifest, members and key → byte-identical file (Ed25519 signatures are deterministic). The file
is written next to the destination under a temporary name, fsynced and renamed into place, so a killed
compile leaves either the old file or nothing at the output path, never a partial bundle.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from hpi.runtime_min.bundle import MAGIC, SCHEMA, _LEN, canonical_json, check_member_name


def write_bundle(path: Path, manifest: dict, members: dict[str, bytes], private_key=None) -> dict:
    """`manifest` without `schema`/`members` (added here); `members` maps name → bytes.

    Returns the manifest as written."""
    from hpi.licensing.signing import sign

    path = Path(path)
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
    signature_bytes = canonical_json(sign(manifest_bytes, private_key).to_dict()) if private_key else b""

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC)
            for section in (manifest_bytes, signature_bytes):
                f.write(_LEN.pack(len(section)))
                f.write(section)
            for name in names:
                f.write(members[name])
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return manifest

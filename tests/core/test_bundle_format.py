"""The bundle format refuses every malformed or altered file (docs/bundle-format.md), one error each."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from hpi.core.bundle_format import write_bundle
from hpi.core.signing import TrustStore, generate_keypair, load_private_key, load_public_key
from hpi.core.bundle_format import MAGIC, Bundle
from hpi.core.canonical import canonical_json
from hpi.core.errors import BundleError, SignatureError, UsageError

MEMBERS = {"a/one.bin": b"first member", "b/two.npy": b"", "c.txt": bytes(range(256))}


@pytest.fixture
def keys(tmp_path):
    private, public = generate_keypair(tmp_path / "k.pem")
    return load_private_key(private), TrustStore([load_public_key(public)])


def _write(tmp_path, keys, manifest=None, members=None, sign=True):
    private, _ = keys
    path = tmp_path / "t.hpi"
    write_bundle(path, manifest or {"pipeline": {"name": "x"}}, members or MEMBERS, private if sign else None)
    return path


def _split(raw: bytes):
    """(manifest bytes, signature bytes, data) of a raw bundle."""
    pos = len(MAGIC)
    (n,) = struct.unpack_from("<Q", raw, pos)
    manifest = raw[pos + 8:pos + 8 + n]
    pos += 8 + n
    (s,) = struct.unpack_from("<Q", raw, pos)
    return manifest, raw[pos + 8:pos + 8 + s], raw[pos + 8 + s:]


def _join(manifest: bytes, signature: bytes, data: bytes) -> bytes:
    return MAGIC + struct.pack("<Q", len(manifest)) + manifest + struct.pack("<Q", len(signature)) + signature + data


def _resign(keys, manifest: dict, data: bytes) -> bytes:
    """A bundle whose manifest was edited and properly re-signed (to reach the member checks)."""
    from hpi.core.signing import sign

    m = canonical_json(manifest)
    return _join(m, canonical_json(sign(m, keys[0]).to_dict()), data)


def test_roundtrip_reads_members_and_verifies(tmp_path, keys):
    path = _write(tmp_path, keys)
    bundle = Bundle.open(path, trust=keys[1])
    assert {n: bytes(bundle.read(n)) for n in MEMBERS} == MEMBERS
    assert bundle.manifest["schema"] == "hpi.bundle/1"


def test_same_inputs_give_identical_bytes(tmp_path, keys):
    first = _write(tmp_path, keys).read_bytes()
    assert _write(tmp_path, keys).read_bytes() == first


def test_npy_members_load_without_pickle(tmp_path, keys):
    import io

    buf = io.BytesIO()
    np.save(buf, np.arange(6, dtype=np.float32))
    path = _write(tmp_path, keys, members={"g.npy": buf.getvalue()})
    np.testing.assert_array_equal(Bundle.open(path, trust=keys[1]).read_array("g.npy"), np.arange(6))
    buf = io.BytesIO()
    np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    path = _write(tmp_path, keys, members={"g.npy": buf.getvalue()})
    with pytest.raises(ValueError, match="allow_pickle"):
        Bundle.open(path, trust=keys[1]).read_array("g.npy")


@pytest.mark.parametrize("seed", range(8))
def test_every_single_byte_flip_is_refused(tmp_path, seed):
    """Refused at open, or (a member's bytes) when read. Fresh keys each time: base64 of some signatures
    has spare bits a flip could hide in."""
    private, public = generate_keypair(tmp_path / f"k{seed}.pem")
    keys = load_private_key(private), TrustStore([load_public_key(public)])
    raw = _write(tmp_path, keys).read_bytes()
    target = tmp_path / "flipped.hpi"
    for i in range(len(raw)):
        flipped = bytearray(raw)
        flipped[i] ^= 0x01
        target.write_bytes(flipped)
        with pytest.raises(BundleError):
            Bundle.open(target, trust=keys[1]).verify_members()


def test_unsigned_refused_unless_allowed(tmp_path, keys):
    path = _write(tmp_path, keys, sign=False)
    with pytest.raises(SignatureError, match="unsigned"):
        Bundle.open(path, trust=keys[1])
    assert Bundle.open(path, trust=keys[1], allow_unsigned=True).members


def test_untrusted_signer_refused_with_key_ids(tmp_path, keys):
    other_private, other_public = generate_keypair(tmp_path / "other.pem")
    path = tmp_path / "o.hpi"
    write_bundle(path, {"pipeline": {}}, MEMBERS, load_private_key(other_private))
    with pytest.raises(SignatureError, match="not trusted here"):
        Bundle.open(path, trust=keys[1])
    with pytest.raises(SignatureError, match="no trusted keys"):
        Bundle.open(path, trust=None)


def test_swapped_public_key_refused(tmp_path, keys):
    import base64

    manifest, signature, data = _split(_write(tmp_path, keys).read_bytes())
    sig = json.loads(signature)
    sig["public_key"] = base64.b64encode(bytes(32)).decode()
    (tmp_path / "s.hpi").write_bytes(_join(manifest, canonical_json(sig), data))
    with pytest.raises(SignatureError, match="does not match trusted key"):
        Bundle.open(tmp_path / "s.hpi", trust=keys[1])


@pytest.mark.parametrize("name", ["../evil", "/abs", "a//b", "a/../b", "a\\b", ".hidden/..", "", "a/"])
def test_unsafe_member_names_refused(tmp_path, keys, name):
    manifest, _, data = _split(_write(tmp_path, keys).read_bytes())
    m = json.loads(manifest)
    m["members"][0]["name"] = name
    (tmp_path / "n.hpi").write_bytes(_resign(keys, m, data))
    with pytest.raises(BundleError, match="member name|name order"):
        Bundle.open(tmp_path / "n.hpi", trust=keys[1])
    with pytest.raises(BundleError):
        write_bundle(tmp_path / "w.hpi", {}, {name: b"x"})


def _edited(tmp_path, keys, edit, data_edit=lambda d: d):
    manifest, _, data = _split(_write(tmp_path, keys).read_bytes())
    m = json.loads(manifest)
    edit(m["members"])
    (tmp_path / "e.hpi").write_bytes(_resign(keys, m, data_edit(data)))
    return tmp_path / "e.hpi"


@pytest.mark.parametrize("edit, data_edit, message", [
    (lambda ms: ms.append(dict(ms[-1])), lambda d: d, "duplicate member"),
    (lambda ms: ms.reverse(), lambda d: d, "name order|offset"),
    (lambda ms: ms[1].update(offset=ms[1]["offset"] + 1), lambda d: d, "offset/size"),
    (lambda ms: None, lambda d: d + b"\0", "bytes after its last member"),
    (lambda ms: None, lambda d: d[:-1], "truncated"),
    (lambda ms: ms.pop(), lambda d: d, "bytes after its last member"),
    (lambda ms: ms[0].update(sha256="0" * 63), lambda d: d, "malformed sha256"),
])
def test_member_table_errors(tmp_path, keys, edit, data_edit, message):
    with pytest.raises(BundleError, match=message):
        Bundle.open(_edited(tmp_path, keys, edit, data_edit), trust=keys[1])


def test_member_bytes_checked_before_use(tmp_path, keys):
    """A member whose bytes differ from its sha256 is refused when read, and by verify_members; the
    others stay readable (a run hashes only what it uses)."""
    bundle = Bundle.open(_edited(tmp_path, keys, lambda ms: ms[0].update(sha256="0" * 64)), trust=keys[1])
    first, *others = bundle.members
    with pytest.raises(BundleError, match=f"{first}.*does not match its sha256"):
        bundle.read(first)
    assert all(bundle.read(name) is not None for name in others)
    with pytest.raises(BundleError, match="sha256"):
        bundle.verify_members()


def test_non_canonical_and_duplicate_keys_refused(tmp_path, keys):
    manifest, signature, data = _split(_write(tmp_path, keys).read_bytes())
    pretty = json.dumps(json.loads(manifest), indent=1).encode()
    (tmp_path / "p.hpi").write_bytes(_join(pretty, signature, data))
    with pytest.raises(BundleError, match="canonical"):
        Bundle.open(tmp_path / "p.hpi", trust=keys[1])
    dup = manifest[:-1] + b',"schema":"x"}'
    (tmp_path / "d.hpi").write_bytes(_join(dup, signature, data))
    with pytest.raises(BundleError, match="duplicate key"):
        Bundle.open(tmp_path / "d.hpi", trust=keys[1])


def test_wrong_magic_truncation_and_oversized_lengths(tmp_path, keys):
    raw = _write(tmp_path, keys).read_bytes()
    cases = {
        "not.hpi": b"PK\x03\x04" + raw[4:],
        "short.hpi": raw[:10],
        "huge.hpi": MAGIC + struct.pack("<Q", 1 << 40) + raw[16:],
        "empty.hpi": b"",
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(BundleError):
            Bundle.open(tmp_path / name, trust=keys[1])
    with pytest.raises(UsageError, match="not found"):  # a missing file is a usage error, not a bad bundle
        Bundle.open(tmp_path / "missing.hpi", trust=keys[1])


def test_unknown_schema_refused(tmp_path, keys):
    manifest, _, data = _split(_write(tmp_path, keys).read_bytes())
    m = json.loads(manifest)
    m["schema"] = "hpi.bundle/99"
    (tmp_path / "v.hpi").write_bytes(_resign(keys, m, data))
    with pytest.raises(BundleError, match="recompile"):
        Bundle.open(tmp_path / "v.hpi", trust=keys[1])


def test_failed_write_leaves_old_file_and_no_partial(tmp_path, keys):
    path = _write(tmp_path, keys)
    before = path.read_bytes()

    class Boom(bytes):
        def __len__(self):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_bundle(path, {}, {"a": b"1", "b": Boom(b"2")}, keys[0])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.pem", "k.pub", "t.hpi"]


def test_allow_unsigned_still_checks_a_signature_that_is_there(tmp_path, keys):
    """Issue 13, item 12: with --allow-unsigned and no trusted keys, a bundle signed by an unknown key was
    not checked at all, so a manifest edited after signing passed."""
    path = _write(tmp_path, keys)
    assert Bundle.open(path, trust=None, allow_unsigned=True).members  # intact: accepted
    manifest, signature, data = _split(path.read_bytes())
    m = json.loads(manifest)
    m["pipeline"]["name"] = "edited"
    path.write_bytes(_join(canonical_json(m), signature, data))
    with pytest.raises(SignatureError, match="changed after signing"):
        Bundle.open(path, trust=None, allow_unsigned=True)
    assert Bundle.open(path, check_signature=False).manifest["pipeline"]["name"] == "edited"  # hpi inspect

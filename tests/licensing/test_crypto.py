import os

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hpi.core.bundle_format import ENCRYPTED_MEMBER_MAGIC
from hpi.licensing.crypto import decrypt_member, encrypt_member, raw_x25519_public, unwrap_key, wrap_key
from hpi.core.errors import BundleError, CertificateInvalid, LicenseError
from license_helpers import private_folders, vendor  # noqa: F401 (fixtures)


def test_member_round_trip_is_deterministic_with_distinct_nonces():
    """Same member → same bytes (reproducible bundles); other content or name → another nonce."""
    key = os.urandom(32)
    data = os.urandom(10_000)
    a, b = encrypt_member(key, "models/det/model.onnx", data), encrypt_member(key, "models/det/model.onnx", data)
    assert a == b and len(a) == len(ENCRYPTED_MEMBER_MAGIC) + len(data) + 12 + 16
    assert decrypt_member(key, "models/det/model.onnx", a) == data
    other_data = encrypt_member(key, "models/det/model.onnx", data[:-1] + bytes([data[-1] ^ 1]))
    other_name = encrypt_member(key, "models/rec/model.onnx", data)
    nonce = slice(len(ENCRYPTED_MEMBER_MAGIC), len(ENCRYPTED_MEMBER_MAGIC) + 12)
    assert len({a[nonce], other_data[nonce], other_name[nonce]}) == 3


def test_swapped_members_wrong_key_and_altered_bytes_are_refused():
    key = os.urandom(32)
    blob = encrypt_member(key, "models/det/model.onnx", b"weights")
    with pytest.raises(LicenseError, match="models/rec/model.onnx does not decrypt"):
        decrypt_member(key, "models/rec/model.onnx", blob)
    with pytest.raises(LicenseError, match="another product"):
        decrypt_member(os.urandom(32), "models/det/model.onnx", blob)
    altered = bytearray(blob)
    altered[-1] ^= 1
    with pytest.raises(LicenseError):
        decrypt_member(key, "models/det/model.onnx", bytes(altered))
    with pytest.raises(BundleError, match="shorter than nonce"):
        decrypt_member(key, "m", b"short")
    with pytest.raises(LicenseError, match="32 bytes"):
        encrypt_member(b"short", "m", b"")


def test_content_key_unwraps_only_with_the_machine_key_and_product():
    machine = X25519PrivateKey.generate()
    content = os.urandom(32)
    wrapped = wrap_key(content, raw_x25519_public(machine.public_key()), "ocr-pro")
    assert unwrap_key(wrapped, machine, "ocr-pro") == content
    with pytest.raises(CertificateInvalid, match="not wrapped to this machine"):
        unwrap_key(wrapped, X25519PrivateKey.generate(), "ocr-pro")
    with pytest.raises(CertificateInvalid):
        unwrap_key(wrapped, machine, "other-product")
    with pytest.raises(CertificateInvalid, match="malformed"):
        unwrap_key({**wrapped, "algorithm": "rot13"}, machine, "ocr-pro")


def test_content_key_for_product_reads_the_issuer_database(vendor, tmp_path):
    from hpi.licensing.issuer import content_key_for_product
    from hpi.core.errors import UsageError

    vendor.product("compiled")
    key = content_key_for_product("compiled", vendor.db)
    assert len(key) == 32 and content_key_for_product("compiled", vendor.db) == key
    with pytest.raises(UsageError, match="product 'nope' is not in the issuer database.*compiled"):
        content_key_for_product("nope", vendor.db)
    with pytest.raises(UsageError, match="issuer database .*missing.db not found"):
        content_key_for_product("compiled", str(tmp_path / "missing.db"))
    assert not (tmp_path / "missing.db").exists()
    import os
    import stat

    assert stat.S_IMODE(os.stat(vendor.db).st_mode) == 0o600  # it holds every product's content key

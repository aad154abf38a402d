"""Bundle keys (issue 13, items 1, 3, 12): each encrypted bundle has its own key under a rotatable
generation of its product key; a bundle names the issuers whose certificates count; a certificate must
entitle the bundle's pipeline; golden tensors are encrypted too."""

from __future__ import annotations

import pytest

from hpi.licensing import bundle_keys, issuer
from hpi.licensing.cli import main as license_cli
from hpi.licensing.client import install_certificate, make_request
from hpi.licensing.crypto import decrypt_member
from hpi.core.signing import key_id, load_public_key
from hpi.core.errors import IssuerUntrusted, LicenseError, LicenseNotFound, WrongProduct
from license_helpers import new_vendor
from license_helpers import private_folders, machine_env, vendor, trusted_vendor  # noqa: F401 (fixtures)

MEMBERS = {"models/m/model.onnx": b"onnx bytes", "golden/m/input_x.npy": b"golden", "manifest-free.txt": b"plain"}


def _install(vendor, product, tmp_path, name="cert.json"):
    serial = vendor.serials(product)[0]
    req = make_request()
    cert = tmp_path / name
    cert.write_bytes(issuer.activate(vendor.database(), vendor.issuer_key(), serial, req["fingerprint"],
                                     req["machine_key"], client="test", via="offline"))
    install_certificate(cert)


def _manifest(vendor, product, pipeline="OCR", encrypt=True):
    issuers = [key_id(load_public_key(vendor.public))]
    section, members = bundle_keys.seal(dict(MEMBERS), product=product, issuers=issuers, encrypt=encrypt,
                                        db_url=vendor.db)
    return {"pipeline": {"name": pipeline}, "license": section}, members


def test_each_bundle_has_its_own_key_and_models_and_golden_tensors_are_sealed(trusted_vendor, tmp_path):
    product = trusted_vendor.product("own-keys")
    _install(trusted_vendor, product, tmp_path)
    manifest, members = _manifest(trusted_vendor, product)
    assert manifest["license"]["encrypted_members"] == ["golden/m/input_x.npy", "models/m/model.onnx"]
    assert members["manifest-free.txt"] == b"plain" and b"golden" not in members["golden/m/input_x.npy"]
    key = bundle_keys.bundle_key(manifest)
    assert decrypt_member(key, "models/m/model.onnx", members["models/m/model.onnx"]) == b"onnx bytes"
    with trusted_vendor.database().transaction() as tx:
        assert key != issuer.product_keys(tx, product)[1]  # the product key itself never decrypts members
    other = dict(MEMBERS, **{"models/m/model.onnx": b"other model"})
    other_section, _ = bundle_keys.seal(other, product=product, issuers=manifest["license"]["issuers"],
                                        encrypt=True, db_url=trusted_vendor.db)
    assert bundle_keys.bundle_key({**manifest, "license": other_section}) != key
    again, again_members = _manifest(trusted_vendor, product)
    assert again == manifest and again_members == members  # deterministic


def test_rotation_seals_new_bundles_with_a_key_old_certificates_lack(trusted_vendor, tmp_path, capsys):
    product = trusted_vendor.product("rotating")
    _install(trusted_vendor, product, tmp_path)
    before, _ = _manifest(trusted_vendor, product)
    assert license_cli(["rotate-key", product, "--db", trusted_vendor.db]) == 0
    after, _ = _manifest(trusted_vendor, product)
    assert after["license"]["bundle_key"]["generation"] == 2
    assert bundle_keys.bundle_key(before)  # the bundles from before still run
    with pytest.raises(LicenseNotFound, match="predates key generation 2.*activate again"):
        bundle_keys.bundle_key(after)
    _install(trusted_vendor, product, tmp_path, "renewed.json")  # activating again brings generation 2
    assert bundle_keys.bundle_key(after) and bundle_keys.bundle_key(before)


def test_a_bundle_accepts_certificates_from_its_own_issuer_only(trusted_vendor, tmp_path):
    """Item 3: anyone could make an issuer key, trust it, create the vendor's product name, and issue
    themselves a certificate that ran the vendor's --license-product bundle (without --encrypt)."""
    product = trusted_vendor.product("pinned")
    manifest, _ = _manifest(trusted_vendor, product, encrypt=False)
    rogue = new_vendor(tmp_path / "rogue")
    from hpi.core.signing import config_dir

    rogue.trust_on(config_dir())  # the user trusts their own issuer key
    rogue.product(product)  # the vendor's product name, in the rogue database
    _install(rogue, product, tmp_path)
    with pytest.raises(IssuerUntrusted, match="accepts certificates from issuer .* only"):
        bundle_keys.bundle_key(manifest)


def test_the_certificate_must_entitle_the_bundles_pipeline(trusted_vendor, tmp_path):
    """Item 12: the certificate's `pipelines` field was never enforced."""
    product = trusted_vendor.product("ocr-only", pipelines=("OCR",))
    _install(trusted_vendor, product, tmp_path)
    manifest, _ = _manifest(trusted_vendor, product, pipeline="table_recognition", encrypt=False)
    with pytest.raises(WrongProduct, match="entitles OCR, not the 'table_recognition' pipeline"):
        bundle_keys.bundle_key(manifest)
    assert bundle_keys.bundle_key(_manifest(trusted_vendor, product, encrypt=False)[0]) is None


def test_a_bundle_key_for_another_product_is_refused(trusted_vendor, tmp_path):
    product = trusted_vendor.product("one")
    _install(trusted_vendor, product, tmp_path)
    manifest, _ = _manifest(trusted_vendor, product)
    manifest["license"]["bundle_key"]["ciphertext"] = manifest["license"]["bundle_key"]["ciphertext"][::-1]
    with pytest.raises(LicenseError, match="does not unwrap"):
        bundle_keys.bundle_key(manifest)

"""License-bound, encrypted bundles end to end: the real rec model compiled with --license-product
--encrypt, refused without a certificate, run after online and after offline activation, and useless
on another machine even with a copied licenses folder."""

from __future__ import annotations

import shutil

import pytest

from conftest import compile_cli, render_text
from hpi.licensing.cli import main as license_cli
from hpi.licensing.machine import licenses_dir
from hpi.core.signing import generate_keypair, key_id, load_public_key, trust_public_key
from hpi.runtime_min import open_bundle
from hpi.core.bundle_format import Bundle
from hpi.core.errors import FingerprintMismatch, LicenseNotFound
from license_helpers import make_machine
from license_helpers import machine_env, private_folders, server, trusted_vendor, vendor  # noqa: F401

pytestmark = pytest.mark.slow
LINE = render_text("HELLO 2026", size=(64, 420))


@pytest.fixture(scope="module")
def licensed(models_dir, vendor, tmp_path_factory):
    """(bundle, product): signed with its own key, sealed with the product's content key."""
    folder = tmp_path_factory.mktemp("licensed")
    product = vendor.product("ocr-rec-pro", pipelines=("text_recognition",))  # the bundle's pipeline
    key, public = generate_keypair(folder / "signer.pem")
    bundle = folder / "rec.hpi"
    assert compile_cli(models_dir / "PP-OCRv4_mobile_rec", "--output", bundle, "--quiet", "--no-cache",
                       "--signing-key", key, "--license-product", product, "--encrypt",
                       "--license-db", vendor.db, "--license-issuer", vendor.public) == 0
    return bundle, public, product


@pytest.fixture
def signer_trusted(licensed, private_folders, tmp_path):  # noqa: F811
    trust_public_key(licensed[1], tmp_path / "config" / "trusted_keys")


def test_artifacts_are_encrypted_and_the_manifest_says_so(licensed, vendor):
    bundle = Bundle.open(licensed[0], trust=None, allow_unsigned=True)
    license = bundle.manifest["license"]
    assert license["product"] == licensed[2] and license["algorithm"] == "AES-256-GCM"
    assert sorted(license["encrypted_members"]) == sorted(n for n in bundle.members
                                                          if n.startswith(("models/", "golden/")))
    assert license["issuers"] == [key_id(load_public_key(vendor.public))] and license["bundle_key"]["generation"] == 1
    onnx = bytes(bundle.read("models/text_recognition/model.onnx"))
    assert b"paddle" not in onnx and b"softmax" not in onnx  # plain ONNX names its producer and ops


def test_refused_without_a_certificate(licensed, trusted_vendor, signer_trusted):
    with pytest.raises(LicenseNotFound, match=f"no license certificate for product '{licensed[2]}'"):
        open_bundle(licensed[0])


def test_runs_after_online_activation(licensed, trusted_vendor, signer_trusted, server, tmp_path, monkeypatch):
    monkeypatch.setenv("HPI_OV_CACHE", str(tmp_path / "ov-cache"))
    serial = trusted_vendor.serials(licensed[2])[0]
    rec = open_bundle(licensed[0], serial_number=serial, update_license=True, license_server=server.url,
                      backend="openvino")
    assert rec.predict_one(LINE).to_dict()["rec_text"].replace(" ", "").upper() == "HELLO2026"
    # OpenVINO's compiled-model cache would put the decrypted model on disk: it is off for sealed artifacts
    assert not (tmp_path / "ov-cache").exists()
    assert open_bundle(licensed[0]).predict_one(LINE).to_dict()["rec_score"] > 0.5  # certificate now installed


def test_runs_after_offline_activation(licensed, trusted_vendor, signer_trusted, tmp_path, capsys):
    serial = trusted_vendor.serials(licensed[2])[0]
    request, cert = tmp_path / "request.json", tmp_path / "cert.json"
    assert license_cli(["request", "--out", str(request)]) == 0
    assert license_cli(["issue", "--request", str(request), "--serial", serial, "--out", str(cert),
                        "--db", trusted_vendor.db, "--issuer-key", str(trusted_vendor.key)]) == 0
    assert license_cli(["install", str(cert)]) == 0
    assert open_bundle(licensed[0]).predict_one(LINE).to_dict()["rec_text"].replace(" ", "").upper() == "HELLO2026"
    # The self-test decrypts the sealed golden tensors with the bundle's key, in memory.
    from hpi.compiler.tools_cli import main as hpi_tool

    assert hpi_tool(["verify", str(licensed[0]), "--self-test", "--backend", "openvino"]) == 0


def test_copied_bundle_and_licenses_are_useless_elsewhere(licensed, trusted_vendor, signer_trusted, server,
                                                          machine_env, tmp_path):
    serial = trusted_vendor.serials(licensed[2])[0]
    open_bundle(licensed[0], serial_number=serial, update_license=True, license_server=server.url)
    copied = tmp_path / "copied-licenses"
    shutil.copytree(licenses_dir(), copied)
    machine_env(make_machine(tmp_path / "other-machine", disks=("77-aa",)), copied)
    with pytest.raises(FingerprintMismatch):
        open_bundle(licensed[0])


def test_hpi_run_flags_and_exit_code(licensed, trusted_vendor, signer_trusted, server, tmp_path, capsys):
    import cv2

    from hpi.runtime_min.cli import main as hpi_run

    image = tmp_path / "line.png"
    cv2.imwrite(str(image), LINE)
    assert hpi_run([str(licensed[0]), "--input", str(image)]) == LicenseNotFound.exit_code
    assert "hpi-run: error: no license certificate" in capsys.readouterr().err
    serial = trusted_vendor.serials(licensed[2])[0]
    assert hpi_run([str(licensed[0]), "--input", str(image), "--serial-number", serial, "--update-license",
                    "--license-server", server.url]) == 0
    assert "HELLO" in capsys.readouterr().out.upper()


def test_self_test_of_an_encrypted_bundle_uses_the_license(licensed, trusted_vendor, signer_trusted, server, capsys):
    from hpi.compiler.tools_cli import main as hpi

    assert hpi(["verify", str(licensed[0]), "--self-test"]) == LicenseNotFound.exit_code
    serial = trusted_vendor.serials(licensed[2])[0]
    open_bundle(licensed[0], serial_number=serial, update_license=True, license_server=server.url)
    capsys.readouterr()
    assert hpi(["verify", str(licensed[0]), "--self-test"]) == 0
    assert "self-test openvino: passed" in capsys.readouterr().out


def test_no_compiled_model_of_an_encrypted_artifact_is_cached_on_disk(licensed, ocr_bundle):
    """Issue 13, item 7: TensorRT engines built on first run from an encrypted ONNX were cached in
    plaintext under $HPI_ENGINE_CACHE. Neither that cache nor OpenVINO's is configured for sealed
    artifacts; both are for plain ones."""
    from hpi.runtime_min import backends
    from hpi.runtime_min.models import session_config

    caches = {"tensorrt": "engine_cache", "openvino": "CACHE_DIR"}
    sealed = Bundle.open(licensed[0], trust=None, allow_unsigned=True)
    plain = Bundle.open(ocr_bundle, check_signature=False)
    for name, setting in caches.items():
        cls = backends.get(name)
        for bundle, cached in ((sealed, False), (plain, True)):
            for entry in bundle.contents.models.values():
                for artifact in entry.artifacts:
                    assert (setting in session_config(bundle, artifact, cls)) is cached, (name, artifact)


def test_an_encrypted_bundle_stripped_of_its_license_is_refused_in_one_line(licensed, tmp_path, capsys):
    """Issue 13, item 10: the license section removed (and the signature with it), run with
    --allow-unsigned: a UnicodeDecodeError traceback (exit 1). Now one line and exit 3."""
    from hpi.core.bundle_format import write_bundle
    from hpi.runtime_min.cli import main as hpi_run

    bundle = Bundle.open(licensed[0], check_signature=False)
    manifest = {k: v for k, v in bundle.manifest.items() if k not in ("schema", "members", "license")}
    stripped = tmp_path / "stripped.hpi"
    write_bundle(stripped, manifest, {n: bytes(bundle.read(n)) for n in bundle.members}, None)
    image = tmp_path / "line.png"
    import cv2

    cv2.imwrite(str(image), LINE)
    code = hpi_run([str(stripped), "-i", str(image), "--allow-unsigned", "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3 and "is encrypted but the manifest does not say so" in err[-1], err

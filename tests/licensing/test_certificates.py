"""Offline activation end to end, and one refusal (with its own type and message) per way a certificate
can be wrong: altered, another issuer, another machine, expired, another product, absent."""

import datetime as dt
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from hpi.licensing import certificate as certs
from hpi.licensing import fingerprint
from hpi.licensing import issuer
from hpi.licensing.cli import main as license_cli
from hpi.licensing.client import install_certificate, make_request, obtain_content_key
from hpi.licensing.issuer import content_key_for_product
from hpi.licensing.machine import licenses_dir
from hpi.core.signing import load_private_key
from hpi.core.errors import CertificateInvalid, FingerprintMismatch, IssuerUntrusted, LicenseError, \
    LicenseExpired, LicenseNotFound, WrongProduct
from license_helpers import make_machine, new_vendor
from license_helpers import private_folders, machine_env, vendor, trusted_vendor  # noqa: F401 (fixtures)


def issue_here(vendor, product: str) -> bytes:
    """What `hpi-license request` + `hpi-license issue` produce, for the current (fake) machine."""
    serial = vendor.serials(product)[0]
    req = make_request()
    return issuer.activate(vendor.database(), vendor.issuer_key(), serial, req["fingerprint"], req["machine_key"],
                           client="test", via="offline")


def installed(vendor, product: str, tmp_path: Path) -> Path:
    """A new product, a serial for it, and its certificate installed on the current machine."""
    path = tmp_path / f"{product}.cert.json"
    path.write_bytes(issue_here(vendor, vendor.product(product)))
    return install_certificate(path)


def test_offline_activation_with_the_cli(trusted_vendor, machine_env, tmp_path, capsys):
    product = trusted_vendor.product("offline-cli")
    serial = trusted_vendor.serials(product)[0]
    req, cert = tmp_path / "req.json", tmp_path / "cert.json"
    assert license_cli(["request", "--out", str(req)]) == 0
    assert set(json.loads(req.read_text())) == {"schema", "fingerprint", "fingerprint_id", "machine_key"}
    assert license_cli(["issue", "--request", str(req), "--serial", serial.lower(), "--out", str(cert),
                        "--db", trusted_vendor.db, "--issuer-key", str(trusted_vendor.key)]) == 0
    assert license_cli(["install", str(cert)]) == 0
    [path] = licenses_dir().glob(f"{product}_*.cert.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert obtain_content_key(product) == content_key_for_product(product, trusted_vendor.db)
    assert obtain_content_key(product, serial_number=serial) == content_key_for_product(product, trusted_vendor.db)
    capsys.readouterr()
    # The same serial requested by another machine is refused offline too: the database is shared.
    machine_env(make_machine(tmp_path / "other", disks=("ff-01",)))
    assert license_cli(["request", "--out", str(req)]) == 0
    assert license_cli(["issue", "--request", str(req), "--serial", serial, "--out", str(cert),
                        "--db", trusted_vendor.db, "--issuer-key", str(trusted_vendor.key)]) == 23
    assert "machine_id (changed), disk (changed)" in capsys.readouterr().err


def test_every_single_byte_change_is_refused(trusted_vendor, tmp_path):
    raw = installed(trusted_vendor, "bytes", tmp_path).read_bytes()
    trust = certs.issuer_trust()
    for i in range(len(raw)):
        altered = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1:]
        with pytest.raises((CertificateInvalid, IssuerUntrusted)):
            certs.verify(altered, trust=trust, product="bytes", machine=None)


def test_altered_certificate_in_the_licenses_folder(trusted_vendor, tmp_path):
    path = installed(trusted_vendor, "altered", tmp_path)
    raw = path.read_bytes()
    year = raw.split(b'"expires":"')[1][:4]
    path.write_bytes(raw.replace(b'"expires":"' + year, b'"expires":"2999', 1))  # a longer license
    with pytest.raises(CertificateInvalid, match="signature does not verify: the certificate was altered"):
        obtain_content_key("altered")
    path.write_bytes(json.dumps(json.loads(raw), indent=1).encode())
    with pytest.raises(CertificateInvalid, match="not in canonical form"):
        obtain_content_key("altered")
    assert license_cli(["install", str(path)]) == 26


def test_certificate_from_another_issuer(trusted_vendor, tmp_path_factory, tmp_path):
    rogue = new_vendor(tmp_path_factory.mktemp("rogue"))
    product = rogue.product("rogue-product")
    path = tmp_path / "rogue.cert.json"
    path.write_bytes(issue_here(rogue, product))
    with pytest.raises(IssuerUntrusted, match="does not trust as a license issuer.*hpi-license trust-issuer"):
        install_certificate(path)
    shutil.copy(path, licenses_dir() / "rogue-product_X.cert.json")
    with pytest.raises(IssuerUntrusted):
        obtain_content_key(product)
    assert license_cli(["install", str(path)]) == 27


def test_certificate_copied_to_another_machine(trusted_vendor, machine_env, tmp_path):
    installed(trusted_vendor, "copied", tmp_path)
    copy = tmp_path / "copied-licenses"
    shutil.copytree(licenses_dir(), copy)
    machine_env(make_machine(tmp_path / "machine-b", disks=("other-disk",)), licenses=copy)
    with pytest.raises(FingerprintMismatch, match=r"made on another machine: .*machine_id \(changed\), "
                                                  r"disk \(changed\); matching: cpu, mac"):
        obtain_content_key("copied")


def test_one_changed_component_keeps_the_license_two_do_not(trusted_vendor, tmp_path):
    installed(trusted_vendor, "tolerant", tmp_path)
    key = obtain_content_key("tolerant")
    root = fingerprint.ROOT
    (root / "sys/class/net/eth0/address").write_text("00:16:3e:99:99:99\n")  # a new NIC
    assert obtain_content_key("tolerant") == key
    (root / "proc/cpuinfo").write_text("model name\t: Another CPU\n")  # and a new CPU
    with pytest.raises(FingerprintMismatch, match=r"cpu \(changed\), mac \(changed\)"):
        obtain_content_key("tolerant")


def test_expired_certificate_names_the_date(trusted_vendor, tmp_path):
    path = installed(trusted_vendor, "expiring", tmp_path)
    fields, _ = certs.parse(path.read_bytes())
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    fields = {k: v for k, v in fields.items() if k not in ("schema", "issuer")}
    path.write_bytes(certs.sign_certificate({**fields, "expires": yesterday}, load_private_key(trusted_vendor.key)))
    with pytest.raises(LicenseExpired, match=f"expired on {yesterday}.*renew serial"):
        obtain_content_key("expiring")
    assert license_cli(["install", str(path)]) == 25


def test_wrong_product_and_no_certificate(trusted_vendor, tmp_path):
    with pytest.raises(LicenseNotFound, match="no license certificate for product 'ocr-basic'.*hpi-license request"):
        obtain_content_key("ocr-basic")
    installed(trusted_vendor, "ocr-premium", tmp_path)
    with pytest.raises(WrongProduct, match="license ocr-premium, not 'ocr-basic'"):
        obtain_content_key("ocr-basic")


def test_certificate_for_another_request_is_not_installed(trusted_vendor, machine_env, tmp_path):
    cert = tmp_path / "for-b.cert.json"
    machine_env(make_machine(tmp_path / "machine-b", disks=("b-disk",)))
    cert.write_bytes(issue_here(trusted_vendor, trusted_vendor.product("for-b")))
    machine_env(make_machine(tmp_path / "machine-c", disks=("c-disk",)))
    with pytest.raises(FingerprintMismatch):
        install_certificate(cert)
    assert not list(licenses_dir().glob("*.cert.json"))


def test_refusals_are_license_errors_with_one_line_messages(trusted_vendor, tmp_path):
    for product in ("ocr-basic", "missing"):
        with pytest.raises(LicenseError) as info:
            obtain_content_key(product)
        assert "\n" not in str(info.value)


def test_a_request_while_out_of_tolerance_does_not_destroy_the_machine_key(trusted_vendor, machine_env, tmp_path):
    """Item 6 (issue 13): `request`/`activate` while two components were changed used to replace the
    machine key, so every installed certificate failed with 24 even after the hardware was back."""
    installed(trusted_vendor, "hardware-back", tmp_path)
    key = obtain_content_key("hardware-back")
    home = fingerprint.ROOT
    licenses = licenses_dir()
    machine_env(make_machine(tmp_path / "changed", disks=("new-disk",)), licenses=licenses)  # out of tolerance
    assert license_cli(["request", "--out", str(tmp_path / "req.json")]) == 0
    with pytest.raises(FingerprintMismatch):
        obtain_content_key("hardware-back")
    machine_env(home, licenses=licenses)  # the original hardware is back
    assert obtain_content_key("hardware-back") == key


def _resigned(vendor, path: Path, **changes) -> None:
    fields, _ = certs.parse(path.read_bytes())
    fields = {k: v for k, v in fields.items() if k not in ("schema", "issuer")}
    path.write_bytes(certs.sign_certificate({**fields, **changes}, load_private_key(vendor.key)))


def test_a_clock_set_back_does_not_revive_an_expired_certificate(trusted_vendor, tmp_path):
    """Item 12 (issue 13): setting the clock back made an expired certificate run. Now the day a
    certificate was issued, and the latest day the licenses folder saw, bound "today" from below."""
    path = installed(trusted_vendor, "clock-back", tmp_path)
    in_ten_days = dt.date.today() + dt.timedelta(days=10)
    _resigned(trusted_vendor, path, expires=in_ten_days.isoformat())
    assert obtain_content_key("clock-back")
    # This folder already saw a day after the expiry: the clock was set back since.
    (licenses_dir() / "clock.json").write_text(json.dumps({"latest_day": (in_ten_days + dt.timedelta(days=1)).isoformat()}))
    with pytest.raises(LicenseExpired, match=f"expired on {in_ten_days.isoformat()}"):
        obtain_content_key("clock-back")
    # Issued after its own expiry by this machine's clock: the clock is behind.
    (licenses_dir() / "clock.json").unlink()
    _resigned(trusted_vendor, path, expires=in_ten_days.isoformat(),
              issued_at=(in_ten_days + dt.timedelta(days=5)).strftime("%Y-%m-%dT00:00:00Z"))
    with pytest.raises(LicenseExpired):
        obtain_content_key("clock-back")


def test_an_edited_product_is_an_altered_certificate(trusted_vendor, tmp_path):
    """Item 12 (issue 13): editing the `product` field reported 28 (wrong product), not 26 (altered)."""
    path = installed(trusted_vendor, "edited", tmp_path)
    doc = json.loads(path.read_bytes())
    doc["certificate"]["product"] = "something-else"
    from hpi.core.canonical import canonical_json

    path.write_bytes(canonical_json(doc))
    with pytest.raises(CertificateInvalid, match="signature does not verify"):
        obtain_content_key("edited")
    with pytest.raises(CertificateInvalid):
        obtain_content_key("something-else")

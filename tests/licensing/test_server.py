"""The license server as a real process on loopback with a real SQLite file."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from hpi.licensing.cli import main as license_cli
from hpi.licensing.client import deactivate_online, obtain_content_key, request_certificate
from hpi.licensing.issuer import content_key_for_product
from hpi.licensing.fingerprint import read_fingerprint
from hpi.licensing.machine import licenses_dir
from hpi.core.errors import FingerprintMismatch, LicenseServerError, SerialBoundElsewhere, UnknownSerial, \
    UsageError, WrongProduct
from license_helpers import ADMIN_TOKEN, ServerProcess, make_machine, random_fingerprint, random_machine_key
from license_helpers import private_folders, machine_env, vendor, trusted_vendor, server  # noqa: F401 (fixtures)

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def active_bindings(vendor, serial: str) -> list[dict]:
    with vendor.database().transaction() as tx:
        return tx.rows("SELECT * FROM bindings WHERE serial = ? AND released_at IS NULL", serial)


def actions(vendor, serial: str) -> list[str]:
    with vendor.database().transaction() as tx:
        return [r["action"] for r in tx.rows("SELECT action FROM audit WHERE serial = ? ORDER BY id", serial)]


def test_fifty_concurrent_activations_bind_exactly_one(server, vendor):
    [serial] = vendor.serials(vendor.product("race"))
    start = threading.Barrier(50)

    def attempt(i):
        fingerprint, key = random_fingerprint(), random_machine_key()
        start.wait()
        try:
            request_certificate(server.url, serial, fingerprint, key)
            return fingerprint
        except SerialBoundElsewhere:
            return None

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(attempt, range(50)))
    winners = [r for r in results if r]
    assert len(winners) == 1
    [binding] = active_bindings(vendor, serial)
    assert json.loads(binding["fingerprint"]) == vendor.keyed(winners[0])
    assert actions(vendor, serial).count("activate") == 1
    assert actions(vendor, serial).count("refused") == 49


def test_online_activation_then_the_same_machine_again(server, trusted_vendor):
    product = trusted_vendor.product("online")
    [serial] = trusted_vendor.serials(product)
    key = obtain_content_key(product, serial_number=serial, update_license=True, server_url=server.url)
    assert key == content_key_for_product(product, trusted_vendor.db)
    [cert] = licenses_dir().glob("*.cert.json")
    cert.unlink()  # the licenses folder was lost: the same machine activates again and gets its certificate
    assert obtain_content_key(product, serial_number=serial, update_license=True, server_url=server.url) == key
    assert len(active_bindings(trusted_vendor, serial)) == 1
    assert actions(trusted_vendor, serial) == ["create_serial", "activate", "reactivate"]
    # Without --update-license the installed certificate is used, no server needed.
    assert obtain_content_key(product, serial_number=serial, server_url="http://127.0.0.1:9") == key


def test_refusals_from_the_server_keep_their_type(server, trusted_vendor, machine_env, tmp_path):
    product = trusted_vendor.product("refusals")
    [serial] = trusted_vendor.serials(product)
    with pytest.raises(UnknownSerial, match="not known to this license server"):
        request_certificate(server.url, _valid_unknown_serial(), random_fingerprint(), random_machine_key())
    with pytest.raises(WrongProduct, match="licenses product 'refusals', not 'other'"):
        obtain_content_key("other", serial_number=serial, update_license=True, server_url=server.url)
    assert active_bindings(trusted_vendor, serial) == []  # refused before binding
    obtain_content_key(product, serial_number=serial, update_license=True, server_url=server.url)
    machine_env(make_machine(tmp_path / "machine-b", disks=("b-disk",)))
    with pytest.raises(SerialBoundElsewhere, match=r"differs in machine_id \(changed\), disk \(changed\)"):
        obtain_content_key(product, serial_number=serial, update_license=True, server_url=server.url)
    with pytest.raises(LicenseServerError, match="unreachable.*hpi-license request --out request.json"):
        obtain_content_key(product, serial_number=serial, update_license=True, server_url="http://127.0.0.1:9")
    with pytest.raises(UsageError, match="HPI_LICENSE_SERVER"):
        obtain_content_key(product, serial_number=serial, update_license=True)
    assert license_cli(["activate", "--serial", serial, "--server", server.url]) == 23
    assert license_cli(["activate", "--serial", serial, "--server", "http://127.0.0.1:9"]) == 29


def _valid_unknown_serial() -> str:
    from hpi.licensing.serials import new_serial

    return new_serial()


def test_revoked_serial_is_refused(server, trusted_vendor):
    product = trusted_vendor.product("revoked")
    [serial] = trusted_vendor.serials(product)
    assert license_cli(["revoke", serial, "--reason", "refund", "--db", trusted_vendor.db]) == 0
    with pytest.raises(UnknownSerial, match="was revoked on"):
        obtain_content_key(product, serial_number=serial, update_license=True, server_url=server.url)


def test_admin_endpoints_need_the_token(server, vendor):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN}):
        r = httpx.post(f"{server.url}/v1/admin/serials", json={"product": "race"}, headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert httpx.get(f"{server.url}/v1/admin/audit", headers=headers).status_code == 401
    r = httpx.post(f"{server.url}/v1/admin/products", headers=ADMIN,
                   json={"name": "via-http", "pipelines": ["OCR"], "expires": "2099-01-01", "seats": 2})
    assert r.status_code == 200 and "content_key" not in r.json()
    r = httpx.post(f"{server.url}/v1/admin/serials", headers=ADMIN, json={"product": "via-http", "count": 3})
    assert len(r.json()["serials"]) == 3
    listed = httpx.get(f"{server.url}/v1/admin/serials", params={"product": "via-http"}, headers=ADMIN).json()
    assert {s["serial"] for s in listed["serials"]} == set(r.json()["serials"])
    # Two seats: two machines bind, the third is refused.
    serial = r.json()["serials"][0]
    request_certificate(server.url, serial, random_fingerprint(), random_machine_key())
    request_certificate(server.url, serial, random_fingerprint(), random_machine_key())
    with pytest.raises(SerialBoundElsewhere, match="2 of 2 seats"):
        request_certificate(server.url, serial, random_fingerprint(), random_machine_key())


def test_deactivate_transfer_and_the_audit_trail(server, trusted_vendor, machine_env, tmp_path):
    product = trusted_vendor.product("moving")
    [serial] = trusted_vendor.serials(product)
    machine_a = tmp_path / "machine-a"
    obtain_content_key(product, serial_number=serial, update_license=True, server_url=server.url)
    assert license_cli(["deactivate", "--serial", serial, "--server", server.url]) == 0
    assert not list(licenses_dir().glob("*.cert.json"))
    with pytest.raises(FingerprintMismatch, match="not activated on this machine"):
        deactivate_online(serial, server_url=server.url)
    machine_env(make_machine(tmp_path / "machine-b", disks=("b-disk",)))
    obtain_content_key(product, serial_number=serial, update_license=True, server_url=server.url)
    # Machine B died; the vendor transfers the serial back to A (from A's request).
    a = read_fingerprint(machine_a).hashes()
    r = httpx.post(f"{server.url}/v1/admin/transfer", headers=ADMIN,
                   json={"serial": serial, "fingerprint": a, "machine_key": random_machine_key(),
                         "reason": "ticket 42: mainboard replaced"})
    assert r.status_code == 200 and r.json()["certificate"].startswith('{"certificate":')
    [binding] = active_bindings(trusted_vendor, serial)
    assert json.loads(binding["fingerprint"]) == trusted_vendor.keyed(a) and binding["via"] == "transfer"
    with pytest.raises(SerialBoundElsewhere):
        obtain_content_key(product, serial_number=serial, update_license=True, server_url=server.url)
    audit = httpx.get(f"{server.url}/v1/admin/audit", params={"serial": serial}, headers=ADMIN).json()["audit"]
    assert [e["action"] for e in audit] == ["create_serial", "activate", "deactivate", "refused", "activate",
                                            "transfer_release", "activate", "refused"]
    assert audit[5]["detail"]["reason"] == "ticket 42: mainboard replaced"
    assert audit[5]["client"].startswith("admin@127.0.0.1")


def test_activation_attempts_are_rate_limited_per_client(vendor, tmp_path):
    limited = ServerProcess(vendor, tmp_path / "log", "--rate-limit", "3", "--rate-window", "60").start()
    try:
        for _ in range(3):
            with pytest.raises(UnknownSerial):
                request_certificate(limited.url, _valid_unknown_serial(), random_fingerprint(), random_machine_key())
        with pytest.raises(LicenseServerError, match="too many activation attempts from 127.0.0.1: at most 3 per 60 s"):
            request_certificate(limited.url, _valid_unknown_serial(), random_fingerprint(), random_machine_key())
        r = httpx.post(f"{limited.url}/v1/activate", json={"serial": "x", "fingerprint": {}, "machine_key": ""})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert httpx.get(f"{limited.url}/v1/health").status_code == 200  # health is not limited
    finally:
        limited.kill()


def test_malformed_requests_are_usage_errors(server):
    r = httpx.post(f"{server.url}/v1/activate", json={"serial": _valid_unknown_serial()})
    assert r.status_code == 422 and r.json()["error"] == "UsageError"
    r = httpx.post(f"{server.url}/v1/activate", json={"serial": _valid_unknown_serial(),
                                                        "fingerprint": {"machine_id": "zz"}, "machine_key": "AA=="})
    assert r.status_code == 422 and "32 hex digits" in r.json()["message"]

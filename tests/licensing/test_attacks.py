"""Attacks from the adversarial review (issue 13), each refused: the attack as it was run, then what now
happens. The server is the real one, as a process on loopback, with a real SQLite file."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest

from hpi.licensing import issuer
from hpi.licensing.client import obtain_content_key
from hpi.licensing.machine import licenses_dir
from hpi.core.errors import SerialBoundElsewhere
from license_helpers import ADMIN_TOKEN, random_fingerprint, random_machine_key
from license_helpers import private_folders, machine_env, vendor, trusted_vendor, server  # noqa: F401 (fixtures)


def _installed_certificate() -> dict:
    [cert] = licenses_dir().glob("*.cert.json")
    return json.loads(cert.read_bytes())["certificate"]


def test_a_copied_certificate_does_not_get_the_content_key_wrapped_to_another_key(server, trusted_vendor):
    """Item 1: POST /v1/activate with the serial and fingerprint hashes copied from machine A's
    certificate plus a fresh X25519 key used to answer "reactivate" with the content key wrapped to the
    attacker's key. Now only A's own machine key renews the seat."""
    product = trusted_vendor.product("copied-cert")
    [serial] = trusted_vendor.serials(product)
    obtain_content_key(product, serial_number=serial, update_license=True, server_url=server.url)
    cert = _installed_certificate()
    answer = httpx.post(server.url + "/v1/activate", json={
        "serial": serial, "fingerprint": cert["fingerprint"], "machine_key": random_machine_key()})
    assert answer.status_code == 409 and answer.json()["error"] == "SerialBoundElsewhere"
    assert "another machine key" in answer.json()["message"]
    # A's own folder still renews it.
    assert obtain_content_key(product, serial_number=serial, update_license=True, server_url=server.url)


def test_an_all_zero_machine_key_binds_nothing(server, vendor):
    """Item 8: an all-zero X25519 key used to bind the seat, then fail with 500 (no certificate)."""
    [serial] = vendor.serials(vendor.product("zero-key"))
    zero = base64.b64encode(bytes(32)).decode()
    answer = httpx.post(server.url + "/v1/activate", json={
        "serial": serial, "fingerprint": random_fingerprint(), "machine_key": zero})
    assert answer.status_code == 422 and answer.json()["error"] == "UsageError"
    with vendor.database().transaction() as tx:
        assert tx.rows("SELECT * FROM bindings WHERE serial = ?", serial) == []
        assert "activate" not in [r["action"] for r in tx.rows("SELECT action FROM audit WHERE serial = ?", serial)]


def test_a_certificate_that_cannot_be_made_leaves_no_binding(vendor, monkeypatch):
    """Item 8, in general: binding and certificate are one transaction."""
    [serial] = vendor.serials(vendor.product("all-or-nothing"))

    def broken(*args, **kwargs):
        raise RuntimeError("signing failed")

    monkeypatch.setattr(issuer, "sign_certificate", broken)
    with pytest.raises(RuntimeError):
        issuer.activate(vendor.database(), issuer.load_issuer_key(vendor.key), serial, random_fingerprint(),
                        random_machine_key(), client="test")
    with vendor.database().transaction() as tx:
        assert tx.rows("SELECT * FROM bindings WHERE serial = ?", serial) == []


def test_a_huge_seat_count_costs_nothing_per_activation(vendor):
    """Item 5: 10^7 seats made each activation build a 10^7-element set under the write lock
    (2-2.7 s, 1.25 GB). Now the free seat is found from the seats in use."""
    product = vendor.product("huge-seats")
    with vendor.database().transaction() as tx:
        tx.run("UPDATE products SET seats = ? WHERE name = ?", 10 ** 7, product)
    [serial] = vendor.serials(product)
    db, key = vendor.database(), issuer.load_issuer_key(vendor.key)
    start = time.perf_counter()
    for _ in range(3):
        issuer.activate(db, key, serial, random_fingerprint(), random_machine_key(), client="test")
    assert time.perf_counter() - start < 1.0
    with db.transaction() as tx:
        assert sorted(r["seat"] for r in tx.rows("SELECT seat FROM bindings WHERE serial = ?", serial)) == [1, 2, 3]


ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.mark.parametrize("request_", [
    ("post", "/v1/admin/products", {"json": {"name": "big", "pipelines": ["OCR"], "expires": "2099-01-01",
                                             "seats": 2 ** 63}}),
    ("post", "/v1/admin/products", {"json": {"name": "bigger", "pipelines": ["OCR"], "expires": "2099-01-01",
                                             "seats": 10 ** 30}}),
    ("get", "/v1/admin/audit?limit=" + str(10 ** 30), {}),
    ("get", "/v1/admin/audit?limit=1e30", {}),
    ("post", "/v1/activate", {"content": b"[" * 100_000, "headers": {"Content-Type": "application/json"}}),
    ("post", "/v1/activate", {"content": b"{not json", "headers": {"Content-Type": "application/json"}}),
], ids=["seats 2^63", "seats 10^30", "audit limit 10^30", "audit limit 1e30", "nested body", "broken body"])
def test_hostile_requests_get_a_documented_4xx(server, request_):
    """Item 9 (issue 13): these gave 500 (SQLite integer overflow) or FastAPI's {"detail": ...}."""
    method, path, kwargs = request_
    headers = {**ADMIN, **kwargs.pop("headers", {})} if "admin" in path else kwargs.pop("headers", {})
    answer = httpx.request(method.upper(), server.url + path, headers=headers, **kwargs)
    assert 400 <= answer.status_code < 500, answer.text
    assert set(answer.json()) == {"error", "message"} and answer.json()["error"] == "UsageError"


def test_copied_fingerprint_hashes_do_not_free_a_seat(server, trusted_vendor):
    """Item 1 (issue 13): /v1/deactivate needed only the fingerprint hashes of machine A's certificate:
    it freed A's seat, another machine activated, and A kept running. Now the request must prove
    possession of the machine key the seat was bound with."""
    from hpi.licensing.crypto import deactivation_message, possession_proof
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    product = trusted_vendor.product("copied-deactivate")
    [serial] = trusted_vendor.serials(product)
    obtain_content_key(product, serial_number=serial, update_license=True, server_url=server.url)
    cert = _installed_certificate()
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    exchange = base64.b64decode(httpx.get(server.url + "/v1/health").json()["exchange_key"])
    attacker = X25519PrivateKey.generate()
    attempts = [
        {"serial": serial, "fingerprint": cert["fingerprint"]},  # the old request: hashes only
        {"serial": serial, "fingerprint": cert["fingerprint"], "machine_key": cert["machine_key"], "at": at,
         "proof": possession_proof(attacker, exchange, deactivation_message(serial, cert["machine_key"], at))},
    ]
    for body in attempts:
        answer = httpx.post(server.url + "/v1/deactivate", json=body)
        assert 400 <= answer.status_code < 500 and set(answer.json()) == {"error", "message"}, answer.text
    with trusted_vendor.database().transaction() as tx:
        assert len(tx.rows("SELECT * FROM bindings WHERE serial = ? AND released_at IS NULL", serial)) == 1
    # The machine that holds the key frees it.
    from hpi.licensing.client import deactivate_online

    assert deactivate_online(serial, server_url=server.url) == 1


def test_a_mac_address_cannot_be_brute_forced_from_a_certificate_or_the_database(trusted_vendor, tmp_path):
    """Item 12 (issue 13): component hashes were salted with a fixed string, so A's MAC came back from its
    certificate's hash by brute force (4.8 s). Certificates, bindings and the audit trail now keep them
    keyed with the issuer's secret; without the issuer key the same search finds nothing."""
    from hpi.licensing import fingerprint as fp
    from hpi.licensing.client import install_certificate, make_request

    product = trusted_vendor.product("brute-force")
    [serial] = trusted_vendor.serials(product)
    req = make_request()
    cert = tmp_path / "cert.json"
    cert.write_bytes(issuer.activate(trusted_vendor.database(), trusted_vendor.issuer_key(), serial,
                                     req["fingerprint"], req["machine_key"], client="test", via="offline"))
    install_certificate(cert)  # the keyed certificate still works on its machine
    assert obtain_content_key(product)
    target = json.loads(cert.read_bytes())["certificate"]["fingerprint"]["mac"]
    true_mac = fp.read_fingerprint().components["mac"].value
    # The search the review ran: every address in the vendor's OUI block (here a slice holding the true one).
    prefix, last = true_mac[:15], int(true_mac[15:].replace(":", ""), 16)
    candidates = [f"{prefix}{(last + d) % 256:02x}" for d in range(-100, 100)]
    hashes = {fp.Component("mac", c, "").hash: c for c in candidates}
    assert req["fingerprint"]["mac"] in hashes  # what the machine sends (its own request) is the plain hash
    assert target not in hashes  # what certificates keep is not
    with trusted_vendor.database().transaction() as tx:
        stored = [json.loads(r["fingerprint"])["mac"] for r in tx.rows("SELECT fingerprint FROM bindings WHERE serial = ?", serial)]
        audit = tx.rows("SELECT detail FROM audit WHERE serial = ? AND action = 'activate'", serial)
    assert stored == [target] and target in audit[0]["detail"] and req["fingerprint"]["mac"] not in audit[0]["detail"]

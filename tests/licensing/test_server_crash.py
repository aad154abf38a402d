"""SIGKILL in the middle of a stream of activations: no binding a client was told about is lost, none is
duplicated, and after the restart every machine gets its own serial's certificate again."""

import json
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from hpi.licensing.client import request_certificate
from hpi.core.errors import LicenseServerError, SerialBoundElsewhere
from license_helpers import ServerProcess, random_fingerprint, random_machine_key
from license_helpers import private_folders, vendor  # noqa: F401 (fixtures)

SERIALS = 80


def bindings(vendor) -> dict[str, list[dict]]:
    by_serial: dict[str, list[dict]] = {}
    with vendor.database().transaction() as tx:
        for row in tx.rows("SELECT serial, fingerprint FROM bindings WHERE released_at IS NULL"):
            by_serial.setdefault(row["serial"], []).append(json.loads(row["fingerprint"]))
    return by_serial


def test_sigkill_during_activations_loses_and_duplicates_nothing(vendor, tmp_path):
    serials = vendor.serials(vendor.product("crash", seats=1), SERIALS)
    machines = {s: (random_fingerprint(), random_machine_key()) for s in serials}
    server = ServerProcess(vendor, tmp_path / "log", "--rate-limit", "100000").start()
    confirmed, lost_answers, lock = set(), set(), threading.Lock()
    killed = threading.Event()

    def activate(serial):
        fingerprint, key = machines[serial]
        try:
            request_certificate(server.url, serial, fingerprint, key)
            with lock:
                confirmed.add(serial)
        except LicenseServerError:
            with lock:
                lost_answers.add(serial)  # the server died: bound or not, the client cannot know

    def killer():
        while len(confirmed) < SERIALS // 4:
            time.sleep(0.005)
        server.kill()
        killed.set()

    threading.Thread(target=killer, daemon=True).start()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(activate, serials))
    assert killed.wait(10), "the server was not killed mid-stream"
    assert lost_answers, "the kill came after the stream ended"
    assert confirmed | lost_answers == set(serials)

    # On disk, before any restart: every confirmed binding is there, no serial holds two.
    conn = sqlite3.connect(vendor.db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    after_crash = bindings(vendor)
    crash_serials = {s for s in after_crash if s in machines}
    print(f"confirmed {len(confirmed)}, unanswered {len(lost_answers)}, of those bound {len(crash_serials - confirmed)}")
    assert confirmed <= crash_serials
    for serial in crash_serials:
        assert after_crash[serial] == [vendor.keyed(machines[serial][0])]

    # Restarted: clients retry; the same machines get their certificates, nobody else can take a seat.
    server.start()
    try:
        for serial in serials:
            fingerprint, key = machines[serial]
            assert request_certificate(server.url, serial, fingerprint, key).startswith(b'{"certificate":')
            with pytest.raises(SerialBoundElsewhere):
                request_certificate(server.url, serial, random_fingerprint(), random_machine_key())
    finally:
        server.kill()
    final = bindings(vendor)
    assert {s: final[s] for s in serials} == {s: [vendor.keyed(machines[s][0])] for s in serials}

"""The same server and issuer on PostgreSQL: a throwaway cluster started here (initdb + pg_ctl in a temp
folder, as `nobody` when the tests run as root, since PostgreSQL refuses to run as root). Skipped, with
the reason, where the binaries or psycopg are missing or the cluster does not start."""

import json
import os
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hpi.licensing.cli import main as license_cli
from hpi.licensing.client import obtain_content_key, request_certificate
from hpi.licensing.issuer import content_key_for_product
from hpi.core.errors import SerialBoundElsewhere
from license_helpers import ServerProcess, free_port, new_vendor, random_fingerprint, random_machine_key
from license_helpers import private_folders, machine_env  # noqa: F401 (fixtures)


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


@pytest.fixture(scope="module")
def postgres_url():
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'hpi-aot[server]')")
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found; on Debian: apt-get install postgresql")
    as_user = []
    folder = Path(tempfile.mkdtemp(prefix="hpi-pg-"))
    if os.geteuid() == 0:
        if not shutil.which("runuser"):
            pytest.skip("running as root and runuser is missing: PostgreSQL will not run as root")
        shutil.chown(folder, "nobody")
        as_user = ["runuser", "-u", "nobody", "--"]
    port = free_port()
    data = folder / "data"

    def run(*cmd):
        result = subprocess.run([*as_user, *cmd], capture_output=True, text=True, timeout=60)
        if result.returncode:
            shutil.rmtree(folder, ignore_errors=True)
            pytest.skip(f"cannot start PostgreSQL ({Path(cmd[0]).name}): {(result.stderr or result.stdout)[-500:]}")

    run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    run(pg_ctl, "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "60", "start",
        "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off")
    yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_vendor(postgres_url, tmp_path_factory):
    return new_vendor(tmp_path_factory.mktemp("pg-vendor"), db=postgres_url)


@pytest.fixture(scope="module")
def pg_server(pg_vendor, tmp_path_factory):
    proc = ServerProcess(pg_vendor, tmp_path_factory.mktemp("pg-server") / "log", "--rate-limit", "100000").start()
    yield proc
    proc.kill()


def test_fifty_concurrent_activations_on_postgres(pg_server, pg_vendor):
    [serial] = pg_vendor.serials(pg_vendor.product("pg-race"))
    start = threading.Barrier(50)

    def attempt(_):
        fingerprint = random_fingerprint()
        start.wait()
        try:
            request_certificate(pg_server.url, serial, fingerprint, random_machine_key())
            return fingerprint
        except SerialBoundElsewhere:
            return None

    with ThreadPoolExecutor(50) as pool:
        winners = [r for r in pool.map(attempt, range(50)) if r]
    assert len(winners) == 1
    with pg_vendor.database().transaction() as tx:
        rows = tx.rows("SELECT fingerprint FROM bindings WHERE serial = ? AND released_at IS NULL", serial)
    assert [json.loads(r["fingerprint"]) for r in rows] == [pg_vendor.keyed(w) for w in winners]


def test_online_and_offline_activation_on_postgres(pg_server, pg_vendor, machine_env, tmp_path):
    pg_vendor.trust_on(Path(os.environ["HPI_CONFIG_DIR"]))
    product = pg_vendor.product("pg-product")
    online, offline = pg_vendor.serials(product, 2)
    key = obtain_content_key(product, serial_number=online, update_license=True, server_url=pg_server.url)
    assert key == content_key_for_product(product, pg_vendor.db)
    assert obtain_content_key(product, serial_number=online, update_license=True, server_url=pg_server.url) == key
    req, cert = tmp_path / "req.json", tmp_path / "cert.json"
    assert license_cli(["request", "--out", str(req)]) == 0
    assert license_cli(["issue", "--request", str(req), "--serial", offline, "--out", str(cert),
                        "--db", pg_vendor.db, "--issuer-key", str(pg_vendor.key)]) == 0
    assert license_cli(["install", str(cert)]) == 0
    assert obtain_content_key(product, serial_number=offline) == key
    assert license_cli(["list", "--product", product, "--db", pg_vendor.db]) == 0
    assert license_cli(["revoke", offline, "--db", pg_vendor.db]) == 0
    assert license_cli(["audit", "--serial", online, "--db", pg_vendor.db]) == 0

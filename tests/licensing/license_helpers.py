"""Licensing test helpers and fixtures: fake machines (a root folder set as fingerprint.ROOT in-process),
a vendor (issuer key + database), and the real license server started as a process on a loopback port.

Test modules import the fixtures they use by name (and `private_folders`, autouse, so that every test
gets its own HPI_CONFIG_DIR and HPI_LICENSES_DIR and nothing touches the user's folders). They are not
in a tests/licensing/conftest.py: a second module named `conftest` would replace the top-level one that
other test folders import helpers from.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from hpi.licensing import fingerprint
from hpi.core.signing import generate_keypair, trust_public_key

ADMIN_TOKEN = "test-admin-token-0123456789"
ROUTE = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n" \
        "{iface}\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"


def make_machine(root: Path, *, machine_id: str | None = None, disks=("2f1c-aa", "9e0d-bb"),
                 cpu: str = "Test CPU 9000 @ 3.0GHz", mac: str | None = "00:16:3e:12:34:56",
                 container: bool = False, mounts=(), dockerenv: bool = True) -> Path:
    """A fake machine's root: the files fingerprint.py reads, nothing else.

    A container gets what every runtime gives it (an overlay root, /etc/hostname, hosts and resolv.conf
    mounted in); `dockerenv=False` leaves out /.dockerenv, as containerd/Kubernetes do.
    """
    root.mkdir(parents=True, exist_ok=True)
    if machine_id is None:
        machine_id = secrets.token_hex(16)
    if machine_id:
        (root / "etc").mkdir(exist_ok=True)
        (root / "etc/machine-id").write_text(machine_id + "\n")
    by_uuid = root / "dev/disk/by-uuid"
    if disks:
        by_uuid.mkdir(parents=True, exist_ok=True)
        for uuid in disks:
            (by_uuid / uuid).write_text("")
    (root / "proc/net").mkdir(parents=True, exist_ok=True)
    (root / "proc/cpuinfo").write_text(f"processor\t: 0\nmodel name\t: {cpu}\nflags\t\t: fpu\n")
    if mac:
        (root / "proc/net/route").write_text(ROUTE.format(iface="eth0"))
        (root / "sys/class/net/eth0").mkdir(parents=True, exist_ok=True)
        (root / "sys/class/net/eth0/address").write_text(mac + "\n")
    if container and dockerenv:
        (root / ".dockerenv").write_text("")
    (root / "proc/self").mkdir(parents=True, exist_ok=True)
    (root / "proc/1").mkdir(parents=True, exist_ok=True)
    (root / "proc/1/cgroup").write_text("0::/\n")  # cgroup v2 with a namespace: says nothing
    lines = [f"27 1 254:0 / / rw,relatime - {'overlay overlay' if container else 'ext4 /dev/vda1'} rw"]
    if container:
        mounts = (*mounts, "/etc/hostname", "/etc/hosts", "/etc/resolv.conf")
    lines += [f"{40 + i} 27 254:1 /host{m} {m} ro,relatime - ext4 /dev/vda1 rw" for i, m in enumerate(mounts)]
    (root / "proc/self/mountinfo").write_text("\n".join(lines) + "\n")
    return root


@dataclass
class Vendor:
    dir: Path
    key: Path
    public: Path
    db: str

    def database(self):
        from hpi.licensing.db import Database

        return Database(self.db)

    def issuer_key(self):
        from hpi.licensing.issuer import load_issuer_key

        return load_issuer_key(self.key)

    def product(self, name: str, *, days: int = 365, seats: int = 1, pipelines=("OCR",)) -> str:
        from hpi.licensing.issuer import create_product

        create_product(self.database(), name, list(pipelines), dt.date.today() + dt.timedelta(days=days), seats)
        return name

    def serials(self, product: str, count: int = 1) -> list[str]:
        from hpi.licensing.issuer import create_serials

        return create_serials(self.database(), product, count)

    def keyed(self, fingerprint: dict) -> dict:
        """A machine's fingerprint as this vendor's database and certificates keep it."""
        from hpi.licensing.issuer import keyed_fingerprint

        return keyed_fingerprint(fingerprint, self.issuer_key())

    def trust_on(self, config: Path) -> None:
        trust_public_key(self.public, config / "trusted_issuers")


def new_vendor(folder: Path, db: str | None = None) -> Vendor:
    key, public = generate_keypair(folder / "issuer_key.pem")
    return Vendor(folder, key, public, db or str(folder / "licensing.db"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`hpi-license serve` as a child process on a free loopback port."""

    def __init__(self, vendor: Vendor, log: Path, *extra: str):
        self.vendor, self.log, self.extra = vendor, log, extra
        self.proc = None
        self.url = None

    def start(self, timeout: float = 30.0) -> "ServerProcess":
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("HPI_")},
               "HPI_CONFIG_DIR": str(self.vendor.dir / "config"), "HPI_ISSUER_KEY": str(self.vendor.key),
               "HPI_LICENSE_ADMIN_TOKEN": ADMIN_TOKEN}
        cmd = [sys.executable, "-m", "hpi.licensing.cli", "serve", "--db", self.vendor.db, "--port", str(port),
               *self.extra]
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.url + "/v1/health", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer within {timeout} s: {self.log.read_text()[-2000:]}")

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)


def random_fingerprint(**fixed) -> dict:
    """Hashes as a client would send them, for tests that play many machines at once."""
    return {**{n: secrets.token_hex(16) for n in ("machine_id", "disk", "cpu", "mac")}, **fixed}


def random_machine_key() -> str:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from hpi.licensing.crypto import raw_x25519_public

    return base64.b64encode(raw_x25519_public(X25519PrivateKey.generate().public_key())).decode()


# -- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def private_folders(tmp_path, monkeypatch):
    """Every test: its own config and licenses folders, and no HPI_* setting from the caller's shell."""
    for name in [n for n in os.environ if n.startswith("HPI_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HPI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("HPI_LICENSES_DIR", str(tmp_path / "licenses"))


@pytest.fixture
def machine_env(tmp_path, private_folders, monkeypatch):
    """Use a fake machine: `use(root, licenses)` points the fingerprint and licenses folder at it."""

    def use(root: Path, licenses: Path | None = None):
        monkeypatch.setattr(fingerprint, "ROOT", Path(root))
        monkeypatch.setenv("HPI_LICENSES_DIR", str(licenses or root.parent / f"{root.name}-licenses"))
        return root

    use(make_machine(tmp_path / "machine-a"))
    return use


@pytest.fixture(scope="module")
def vendor(tmp_path_factory) -> Vendor:
    return new_vendor(tmp_path_factory.mktemp("vendor"))


@pytest.fixture
def trusted_vendor(vendor, machine_env) -> Vendor:
    vendor.trust_on(Path(os.environ["HPI_CONFIG_DIR"]))
    return vendor


@pytest.fixture(scope="module")
def server(vendor, tmp_path_factory):
    proc = ServerProcess(vendor, tmp_path_factory.mktemp("server") / "log", "--rate-limit", "100000").start()
    yield proc
    proc.kill(signal.SIGTERM)

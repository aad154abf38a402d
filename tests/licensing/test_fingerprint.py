import json
import os
import shutil
import stat

import pytest

from hpi.licensing import fingerprint
from hpi.licensing.cli import main as license_cli
from hpi.licensing.fingerprint import match, read_fingerprint
from hpi.licensing.machine import load_machine_key, machine_key_for_activation, machine_key_path, \
    machine_public_key
from hpi.core.errors import FingerprintMismatch

from license_helpers import ROUTE, make_machine
from license_helpers import private_folders  # noqa: F401 (fixtures)

MID = "0123456789abcdef0123456789abcdef"


def test_components_are_read_and_only_hashes_are_exposed(tmp_path):
    machine = read_fingerprint(make_machine(tmp_path / "m", machine_id=MID, mac="00:16:3E:12:34:56"))
    assert set(machine.values()) == {"machine_id", "disk", "cpu", "mac"}
    assert machine.values()["mac"] == "00:16:3e:12:34:56"
    assert machine.values()["disk"] == "2f1c-aa,9e0d-bb"
    text = json.dumps(machine.to_json())
    assert MID not in text and "Test CPU" not in text
    assert all(len(h) == 32 for h in machine.hashes().values())
    assert read_fingerprint(tmp_path / "m").id == machine.id  # stable


def test_one_changed_component_is_tolerated_two_are_not(tmp_path):
    bound = read_fingerprint(make_machine(tmp_path / "a", machine_id=MID)).hashes()
    new_nic = read_fingerprint(make_machine(tmp_path / "b", machine_id=MID, mac="00:16:3e:ff:ff:ff")).hashes()
    assert match(bound, new_nic).ok and match(bound, new_nic).differing == ["mac"]
    reinstalled = read_fingerprint(make_machine(tmp_path / "c", machine_id="f" * 32)).hashes()
    assert match(bound, reinstalled).ok  # disks, cpu and mac still match, disk is an anchor
    moved = read_fingerprint(make_machine(tmp_path / "d", machine_id=MID, cpu="Other CPU", mac="00:16:3e:00:00:01"))
    result = match(bound, moved.hashes())
    assert not result.ok and result.differing == ["cpu", "mac"]
    other = read_fingerprint(make_machine(tmp_path / "e", disks=("77-aa",)))
    assert match(bound, other.hashes()).differing == ["machine_id", "disk"]


def test_matching_only_non_anchor_components_is_not_the_same_machine(tmp_path):
    bound = {"machine_id": "1" * 32, "disk": None, "cpu": "2" * 32, "mac": "3" * 32}
    assert not match(bound, {"machine_id": "9" * 32, "cpu": "2" * 32, "mac": "3" * 32}).ok
    assert match(bound, {"machine_id": "1" * 32, "cpu": "2" * 32, "mac": "9" * 32}).ok


def test_container_without_mounts_names_the_host_paths_to_mount(tmp_path):
    root = make_machine(tmp_path / "c", machine_id=MID, disks=(), mac="02:42:ac:11:00:02", container=True)
    machine = read_fingerprint(root)
    assert machine.in_container
    assert machine.values() == {"cpu": "Test CPU 9000 @ 3.0GHz"}
    notes = " ".join(machine.missing_notes())
    assert "-v /etc/machine-id:/etc/machine-id:ro" in notes and "-v /dev/disk/by-uuid:/dev/disk/by-uuid:ro" in notes
    assert "--network host" in notes
    with pytest.raises(FingerprintMismatch, match="inside a container: run it with -v /etc/machine-id"):
        machine.require_usable()


def test_container_with_host_mounts_sees_the_hosts_components(tmp_path):
    host = read_fingerprint(make_machine(tmp_path / "host", machine_id=MID))
    root = make_machine(tmp_path / "c", machine_id=MID, mac="02:42:ac:11:00:02", container=True,
                        mounts=["/etc/machine-id", "/dev/disk/by-uuid"])
    inside = read_fingerprint(root)
    inside.require_usable()
    assert inside.hashes()["machine_id"] == host.hashes()["machine_id"]
    assert match(host.hashes(), inside.hashes()).ok  # only the MAC is missing in the container


def test_fingerprint_cli_prints_json_and_exits_24_when_unusable(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fingerprint, "ROOT", make_machine(tmp_path / "m", machine_id=MID))
    assert license_cli(["fingerprint", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["components"]["machine_id"]
    monkeypatch.setattr(fingerprint, "ROOT", make_machine(tmp_path / "c", disks=(), container=True))
    assert license_cli(["fingerprint"]) == 24
    out, err = capsys.readouterr()
    assert "machine_id" in out and "missing" in out
    assert "-v /dev/disk/by-uuid:/dev/disk/by-uuid:ro" in err and len(err.strip().splitlines()) == 1


def test_machine_key_is_0600_and_opens_only_on_its_machine(tmp_path, monkeypatch):
    a = make_machine(tmp_path / "a", machine_id=MID)
    monkeypatch.setenv("HPI_LICENSES_DIR", str(tmp_path / "licenses"))
    monkeypatch.setattr(fingerprint, "ROOT", a)
    key = machine_key_for_activation(read_fingerprint())
    assert stat.S_IMODE(os.stat(machine_key_path()).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "licenses").st_mode) == 0o700
    assert MID not in machine_key_path().read_text()
    # One component changed: still opens (the tolerance rule, enforced by the key's sealing itself).
    shutil.rmtree(a / "sys")
    assert machine_public_key(load_machine_key(read_fingerprint())) == machine_public_key(key)
    # The folder copied to another machine: no sealed copy opens, whatever the Python checks say.
    monkeypatch.setattr(fingerprint, "ROOT", make_machine(tmp_path / "b", disks=("77-aa",)))
    with pytest.raises(FingerprintMismatch, match=r"made on another machine.*machine_id \(changed\), disk \(changed\)"):
        load_machine_key(read_fingerprint())
    # Activating there makes that machine its own key instead.
    assert machine_public_key(machine_key_for_activation(read_fingerprint())) != machine_public_key(key)


def test_no_environment_variable_moves_the_fingerprint(tmp_path):
    """Attack (issue 13): point $HPI_FINGERPRINT_ROOT at a folder holding machine A's world-readable
    values and the CLI used to present A's fingerprint on machine C. The shipped CLI reads only "/"."""
    import subprocess
    import sys

    fake = make_machine(tmp_path / "machine-a", machine_id=MID)
    env = {**os.environ, "HPI_FINGERPRINT_ROOT": str(fake), "HPI_CONFIG_DIR": str(tmp_path / "c")}
    proc = subprocess.run([sys.executable, "-m", "hpi.licensing.cli", "fingerprint", "--json"],
                          capture_output=True, text=True, env=env)
    assert read_fingerprint(fake).id not in proc.stdout
    assert proc.stdout == "" or json.loads(proc.stdout)["id"] == read_fingerprint(fingerprint.ROOT).id


def test_a_kubernetes_pod_is_a_container(tmp_path):
    """Item 4 (issue 13): containerd/Kubernetes give no /.dockerenv and a cgroup of "0::/", so the image's
    machine-id counted as the host's: two pods of one image with different MACs and no disks both
    activated one 1-seat serial. The runtime's own mounts (overlay root, /etc/hostname...) give it away."""
    pods = [read_fingerprint(make_machine(tmp_path / f"pod{i}", machine_id=MID, disks=(), container=True,
                                          dockerenv=False, mac=f"00:16:3e:00:00:0{i}")) for i in (1, 2)]
    for pod in pods:
        assert pod.in_container and pod.components["machine_id"].value is None
        with pytest.raises(FingerprintMismatch, match="inside a container"):
            pod.require_usable()
    # The host's machine-id mounted in does count.
    mounted = read_fingerprint(make_machine(tmp_path / "pod3", machine_id=MID, disks=(), container=True,
                                            dockerenv=False, mounts=("/etc/machine-id",)))
    assert mounted.components["machine_id"].value == MID


def _block_device(root, uuid, device, *, removable=False, usb=False):
    """/dev/disk/by-uuid/UUID → ../../DEVICE, with its /sys/class/block entry."""
    by_uuid = root / "dev/disk/by-uuid"
    by_uuid.mkdir(parents=True, exist_ok=True)
    os.symlink(f"../../{device}", by_uuid / uuid)
    bus = "usb1/1-1/host6" if usb else "pci0000:00/0000:00:1f.2/ata1"
    disk = root / "sys/devices" / bus / "block" / device
    disk.mkdir(parents=True)
    (disk / "removable").write_text("1\n" if removable else "0\n")
    (root / "sys/class/block").mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(disk, root / "sys/class/block"), root / "sys/class/block" / device)


def _nic(root, name, mac):
    (root / "sys/class/net" / name / "device").mkdir(parents=True)
    (root / "sys/class/net" / name / "address").write_text(mac + "\n")


def test_a_usb_stick_and_wifi_keep_the_license(tmp_path):
    """Item 11 (issue 13): plugging a USB stick changed `disk` and switching Ethernet → Wi-Fi changed
    `mac`: two components, the license was lost. Removable/USB/virtual disks are left out, and the MAC
    is the first physical NIC's, wherever the default route goes."""
    root = make_machine(tmp_path / "laptop", machine_id=MID, disks=(), mac=None)
    _block_device(root, "root-fs", "nvme0n1p2")
    _nic(root, "enp0s31f6", "00:16:3e:aa:aa:aa")
    _nic(root, "wlp2s0", "00:16:3e:bb:bb:bb")
    (root / "proc/net/route").write_text(ROUTE.format(iface="enp0s31f6"))
    bound = read_fingerprint(root).hashes()
    _block_device(root, "usb-stick", "sdb1", removable=True)
    _block_device(root, "usb-disk", "sdc1", usb=True)
    _block_device(root, "snap", "loop3")
    (root / "proc/net/route").write_text(ROUTE.format(iface="wlp2s0"))
    now = read_fingerprint(root)
    assert now.hashes() == bound
    assert now.components["disk"].value == "root-fs"

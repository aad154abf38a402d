"""The device fingerprint: which machine is this, tolerant of small changes.

Components (Linux), and why each:

| name | read from | why |
|---|---|---|
| `machine_id` | `/etc/machine-id` (or `/var/lib/dbus/machine-id`) | 128 random bits made when the OS is installed; survives hardware changes, differs between installs and cloned VMs that ran `systemd-machine-id-setup` |
| `disk` | the names in `/dev/disk/by-uuid`, leaving out removable, USB and virtual devices (loop, zram, optical...) | filesystem UUIDs are random at `mkfs` time; a copied licenses folder on another machine never has them; a USB stick plugged in does not change them |
| `cpu` | `model name` in `/proc/cpuinfo` | changes only with new hardware or a VM moved to another host type (not with a resize: the core count is left out) |
| `mac` | the first physical network interface (by name) in `/sys/class/net`, else the default route's | the NIC; the component most likely to change, so it is the one the tolerance rule absorbs; switching the route from Ethernet to Wi-Fi does not change it |

`machine_id` and `disk` are the *anchors*: the others are shared by many machines of one model.

Tolerance rule: of the N components that were present when the license was bound, at least N−1 must
match now, one of them an anchor, and N ≥ 2. So a new NIC, a new disk, or a CPU change after a VM move
keeps the license; a copied licenses folder on another machine (new machine-id *and* new disks) does not.

Only salted sha256 hashes of the values leave the machine (in requests); the issuer keys them with its
own secret before it stores them or writes a certificate (issuer.keyed_fingerprint). The raw values
also seal the machine key (machine.py), so they are never written anywhere.

Containers: the image's `/etc/machine-id` is the same on every host and `/dev/disk/by-uuid` is absent,
so inside a container (`/.dockerenv`, `/run/.containerenv`, a Kubernetes service account, a container
cgroup, an overlay root file system, or `/etc/hostname`/`hosts`/`resolv.conf` mounted in by the runtime,
as Docker, containerd, CRI-O and Podman do; the last two hold where the image hides the others) `machine_id` counts
only when it is a mount from the host, and missing anchors produce a message naming the mounts to add
(`-v /etc/machine-id:/etc/machine-id:ro -v /dev/disk/by-uuid:/dev/disk/by-uuid:ro`). A bridged
container's MAC is random per container and is left out.

Everything is read below `ROOT` ("/"). No environment variable or option moves it: a switch the
installed program honoured would let anyone present another machine's (world-readable) values. Tests
simulate machines by setting the module attribute in their own process (tests/licensing/fake_machine/).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from hpi.core.errors import FingerprintMismatch

COMPONENTS = ("machine_id", "disk", "cpu", "mac")
ANCHORS = ("machine_id", "disk")
MOUNT_HINT = {
    "machine_id": "-v /etc/machine-id:/etc/machine-id:ro",
    "disk": "-v /dev/disk/by-uuid:/dev/disk/by-uuid:ro",
}


@dataclass(frozen=True)
class Component:
    name: str
    value: str | None  # raw value: stays on this machine
    source: str
    note: str = ""  # why it is missing, and the fix

    @property
    def hash(self) -> str | None:
        if self.value is None:
            return None
        return hashlib.sha256(f"hpi.fingerprint/1\0{self.name}\0{self.value}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Fingerprint:
    components: dict[str, Component]
    in_container: bool

    def hashes(self) -> dict[str, str | None]:
        return {name: c.hash for name, c in self.components.items()}

    def values(self) -> dict[str, str]:
        return {name: c.value for name, c in self.components.items() if c.value is not None}

    @property
    def id(self) -> str:
        """A short name for the whole fingerprint, for people comparing two printouts."""
        joined = ",".join(f"{n}={h or '-'}" for n, h in sorted(self.hashes().items()))
        return hashlib.sha256(joined.encode()).hexdigest()[:16]

    def missing_notes(self) -> list[str]:
        return [f"{c.name}: {c.note}" for c in self.components.values() if c.value is None and c.note]

    def require_usable(self) -> None:
        """Refuse to bind a license to a fingerprint that could not recognise this machine later."""
        present = [n for n, c in self.components.items() if c.value is not None]
        if len(present) >= 2 and any(n in ANCHORS for n in present):
            return
        hints = [MOUNT_HINT[n] for n in ANCHORS if self.components[n].value is None]
        where = (f"inside a container: run it with {' '.join(hints)}" if self.in_container
                 else "; ".join(self.missing_notes()))
        raise FingerprintMismatch(
            f"cannot fingerprint this machine: found only {', '.join(present) or 'nothing'} of "
            f"{', '.join(COMPONENTS)}, and machine_id or disk is needed; {where}"
        )

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "container": self.in_container,
            "components": self.hashes(),
            "sources": {n: c.source for n, c in self.components.items()},
            "notes": {n: c.note for n, c in self.components.items() if c.note},
        }


@dataclass(frozen=True)
class Match:
    ok: bool
    matched: list[str]
    differing: list[str] = field(default_factory=list)


def match(bound: dict, current: dict) -> Match:
    """The tolerance rule (module docstring) between the hashes a license was bound to and these."""
    present = [n for n in COMPONENTS if bound.get(n)]
    matched = [n for n in present if current.get(n) == bound[n]]
    differing = [n for n in present if n not in matched]
    ok = len(present) >= 2 and len(differing) <= 1 and any(n in ANCHORS for n in matched)
    return Match(ok, matched, differing)


def describe(differing: list[str], current: dict, notes: dict | None = None) -> str:
    """'machine_id (changed), disk (missing here: <fix>)' for error messages."""
    parts = []
    for name in differing:
        if current.get(name):
            parts.append(f"{name} (changed)")
        else:
            note = (notes or {}).get(name)
            parts.append(f"{name} (missing here{': ' + note if note else ''})")
    return ", ".join(parts) or "none"


# -- reading the components -------------------------------------------------------------------------


ROOT = Path("/")


def _read(root: Path, rel: str) -> str | None:
    try:
        return (root / rel.lstrip("/")).read_text(errors="replace")
    except OSError:
        return None


def _mounts(root: Path) -> dict[str, str]:
    """Mount point → file system type, from /proc/self/mountinfo."""
    found = {}
    for line in (_read(root, "/proc/self/mountinfo") or "").splitlines():
        head, _, tail = line.partition(" - ")
        fields = head.split()
        if len(fields) > 4 and tail:
            # Field 5 is the mount point, with spaces and the like written as octal escapes.
            found[re.sub(r"\\(\d{3})", lambda m: chr(int(m.group(1), 8)), fields[4])] = tail.split()[0]
    return found


# Files every container runtime (Docker, containerd, CRI-O, Podman) mounts into the container.
_RUNTIME_MOUNTS = ("/etc/hostname", "/etc/hosts", "/etc/resolv.conf")
_CONTAINER_ROOT_FS = ("overlay", "aufs", "fuse-overlayfs", "shiftfs")


def _in_container(root: Path) -> bool:
    markers = (".dockerenv", "run/.containerenv", "var/run/secrets/kubernetes.io", "run/secrets/kubernetes.io")
    if any((root / m).exists() for m in markers):
        return True
    if re.search(r"docker|kubepods|containerd|libpod|lxc|crio", _read(root, "/proc/1/cgroup") or ""):
        return True
    # Kubernetes on containerd shows none of the above (no /.dockerenv, cgroup "0::/"); what the runtime
    # mounts cannot be removed from inside the image.
    mounts = _mounts(root)
    return mounts.get("/") in _CONTAINER_ROOT_FS or any(m in mounts for m in _RUNTIME_MOUNTS)


def _machine_id(root: Path, container: bool) -> Component:
    mounts = _mounts(root) if container else {}
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        text = (_read(root, path) or "").strip().lower()
        if not re.fullmatch(r"[0-9a-f]{32}", text):
            continue
        if container and path not in mounts:
            # The image's own file: identical on every host that runs this image.
            return Component("machine_id", None, path,
                             f"{path} belongs to the container image; mount the host's: {MOUNT_HINT['machine_id']}")
        return Component("machine_id", text, path)
    note = (f"not visible in this container; mount the host's: {MOUNT_HINT['machine_id']}" if container
            else "/etc/machine-id is missing or empty; create it with `systemd-machine-id-setup`")
    return Component("machine_id", None, "/etc/machine-id", note)


_VIRTUAL_BLOCK = re.compile(r"(loop|ram|zram|nbd|sr|fd)\d")


def _fixed_device(root: Path, link: Path) -> bool:
    """False for a filesystem on a removable, USB or virtual block device (its UUID comes and goes)."""
    try:
        device = Path(os.readlink(link)).name  # ../../sdb1
    except OSError:
        return True  # not a link: nothing to tell
    if _VIRTUAL_BLOCK.match(device):
        return False
    sysfs = root / "sys/class/block" / device
    if "/usb" in os.path.realpath(sysfs):
        return False
    for removable in (sysfs / "removable", sysfs / ".." / "removable"):  # a disk, or a partition's disk
        if (_read(root, str(removable.relative_to(root))) or "").strip() == "1":
            return False
    return True


def _disk(root: Path, container: bool) -> Component:
    try:
        uuids = sorted(p.name for p in (root / "dev/disk/by-uuid").iterdir() if _fixed_device(root, p))
    except OSError:
        uuids = []
    if uuids:
        return Component("disk", ",".join(uuids), f"/dev/disk/by-uuid ({len(uuids)} filesystems)")
    note = (f"not visible in this container; mount it: {MOUNT_HINT['disk']}" if container
            else "/dev/disk/by-uuid is empty or missing (udev not running?)")
    return Component("disk", None, "/dev/disk/by-uuid", note)


def _cpu(root: Path) -> Component:
    text = _read(root, "/proc/cpuinfo") or ""
    # x86 says "model name"; ARM says "CPU implementer"/"CPU part" (or "Hardware"); POWER says "cpu".
    for keys in (("model name",), ("Hardware",), ("CPU implementer", "CPU part"), ("cpu",)):
        found = [re.search(rf"^{k}\s*:\s*(.+)$", text, re.M) for k in keys]
        if all(found):
            return Component("cpu", " ".join(" ".join(m.group(1).split()) for m in found), "/proc/cpuinfo")
    return Component("cpu", None, "/proc/cpuinfo", "no CPU model in /proc/cpuinfo")


def _default_interface(root: Path) -> str | None:
    routes = []
    for line in (_read(root, "/proc/net/route") or "").splitlines()[1:]:
        cols = line.split()
        if len(cols) > 6 and cols[1] == "00000000":
            routes.append((int(cols[6]), cols[0]))
    return min(routes)[1] if routes else None


def _physical_interface(root: Path) -> str | None:
    """The first interface (by name) backed by a device: stable when the default route moves."""
    try:
        names = sorted(p.name for p in (root / "sys/class/net").iterdir() if (p / "device").exists())
    except OSError:
        return None
    return names[0] if names else None


def _mac(root: Path, container: bool) -> Component:
    iface = _physical_interface(root) or _default_interface(root)
    if iface is None:
        return Component("mac", None, "/proc/net/route", "no default route")
    source = f"/sys/class/net/{iface}/address"
    mac = (_read(root, source) or "").strip().lower()
    if not re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", mac) or mac == "00:00:00:00:00:00":
        return Component("mac", None, source, f"{iface} has no hardware address")
    if container and int(mac[:2], 16) & 0x02:
        # Locally administered: a bridge/veth address made up for this container.
        return Component("mac", None, source,
                         "this container's own network address, not the host's (left out; --network host includes it)")
    return Component("mac", mac, source)


def read_fingerprint(root: Path | None = None) -> Fingerprint:
    root = Path(root) if root is not None else ROOT
    container = _in_container(root)
    parts = [_machine_id(root, container), _disk(root, container), _cpu(root), _mac(root, container)]
    return Fingerprint({c.name: c for c in parts}, container)

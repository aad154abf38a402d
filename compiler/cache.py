"""A content-addressed cache of compiled models, so an unchanged model is never converted twice.

The key hashes everything a compiled model depends on: the source files, the recipe's code, the
options, the tool versions and hpi's version; any change misses. An entry is a folder written under a
temporary name and renamed into place (atomic on one filesystem), so two concurrent compiles never see
a torn entry: the second rename loses and its copy is dropped. Every member's sha256 is checked on
read; a damaged entry is removed and counts as a miss. Least recently used entries are pruned past the
size cap ($HPI_CACHE_MAX_BYTES, default 5 GB).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from hpi.core.canonical import canonical_json

DEFAULT_MAX_BYTES = 5 * 1024**3


def default_root() -> Path:
    return Path(os.environ.get("HPI_CACHE_DIR", Path.home() / ".cache" / "hpi" / "compile"))


# Modules whose code decides what a compiled model holds: a change to any of them (a default provider
# option, a verification rule) must miss the cache even when the hpi version is the same.
_COMPILE_CODE = ("hpi.core.manifest", "hpi.compiler.build", "hpi.compiler.convert", "hpi.compiler.gpu", "hpi.compiler.reference",
                 "hpi.recipes.base", "hpi.runtime_min.compare", "hpi.runtime_min.backends.tensorrt_engine")


@functools.cache
def _code_digest() -> str:
    import importlib

    h = hashlib.sha256()
    for name in _COMPILE_CODE:
        h.update(inspect.getsource(importlib.import_module(name)).encode())
    return h.hexdigest()


def cache_key(key: str, source, recipe, options, tools: dict, hpi_version: str) -> str:
    parts = {
        "compiler_code": _code_digest(),
        "model_key": key,
        "source_files": source.hashes(),
        "recipe": {"family": recipe.family,
                   "code": hashlib.sha256(inspect.getsource(inspect.getmodule(recipe)).encode()).hexdigest()},
        "options": options.to_dict(),
        "tools": tools,
        "hpi": hpi_version,
    }
    return hashlib.sha256(canonical_json(parts)).hexdigest()


@dataclass
class CompiledModel:
    """One compiled model: its manifest entry and the members it adds to the bundle (what is cached)."""

    entry: dict
    members: dict[str, bytes] = field(default_factory=dict)


class CompileCache:
    def __init__(self, root: Path | None = None, max_bytes: int | None = None):
        self.root = Path(root or default_root())
        self.max_bytes = int(max_bytes or os.environ.get("HPI_CACHE_MAX_BYTES", DEFAULT_MAX_BYTES))

    def get(self, key: str):
        """The cached CompiledModel, or None."""
        entry_dir = self.root / key
        try:
            index = json.loads((entry_dir / "index.json").read_text(encoding="utf-8"))
            members = {}
            for i, (name, digest) in enumerate(index["members"]):
                data = (entry_dir / f"{i}.bin").read_bytes()
                if hashlib.sha256(data).hexdigest() != digest:
                    raise ValueError(f"member {name} is damaged")
                members[name] = data
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            shutil.rmtree(entry_dir, ignore_errors=True)
            return None
        os.utime(entry_dir)  # recently used
        return CompiledModel(index["entry"], members)

    def put(self, key: str, model) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=".tmp-"))
        try:
            names = sorted(model.members)
            for i, name in enumerate(names):
                (tmp / f"{i}.bin").write_bytes(model.members[name])
            index = {"entry": model.entry,
                     "members": [[n, hashlib.sha256(model.members[n]).hexdigest()] for n in names]}
            (tmp / "index.json").write_text(json.dumps(index), encoding="utf-8")
            try:
                os.rename(tmp, self.root / key)
            except OSError:  # another compile stored the same key first: theirs is as good
                pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.prune()

    def entries(self) -> list[tuple[Path, int, float]]:
        """(folder, bytes, last use) of each complete entry, oldest first."""
        if not self.root.is_dir():
            return []
        found = []
        for entry in self.root.iterdir():
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            size = sum(f.stat().st_size for f in entry.iterdir())
            found.append((entry, size, entry.stat().st_mtime))
        return sorted(found, key=lambda e: e[2])

    def info(self) -> dict:
        entries = self.entries()
        return {"root": str(self.root), "entries": len(entries), "bytes": sum(e[1] for e in entries),
                "max_bytes": self.max_bytes}

    def prune(self, max_bytes: int | None = None, stale_tmp_seconds: float = 3600) -> int:
        """Drop least recently used entries until the total fits; returns how many were removed."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        entries = self.entries()
        total = sum(e[1] for e in entries)
        removed = 0
        for entry, size, _ in entries:
            if total <= limit:
                break
            shutil.rmtree(entry, ignore_errors=True)
            total -= size
            removed += 1
        # temporary folders of compiles that were killed mid-write
        for tmp in self.root.glob(".tmp-*") if self.root.is_dir() else []:
            if time.time() - tmp.stat().st_mtime > stale_tmp_seconds:
                shutil.rmtree(tmp, ignore_errors=True)
        return removed

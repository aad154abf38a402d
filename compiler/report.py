"""What a compile did, for people (log lines) and for CI (`--report report.json`, `--json`).

The report is separate from the manifest on purpose: it holds timings, cache hits and warnings, which
differ between runs, while the manifest must be byte-identical for identical inputs. Its schema is
docs/compile-report.schema.json.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

REPORT_SCHEMA = "hpi.compile-report/1"


class CompileReport:
    def __init__(self, log: Callable[[str], None] = lambda message: None):
        self.log = log
        self.timings: list[dict] = []
        self.warnings: list[str] = []
        self.cache: dict[str, str] = {}
        self._start = time.perf_counter()

    @contextmanager
    def stage(self, model: str, stage: str, message: str | None = None):
        """Time one stage of one model; its log line is `message` (default `model: stage`)."""
        self.log(message or f"{model}: {stage}")
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings.append({"model": model, "stage": stage, "seconds": round(time.perf_counter() - start, 3)})

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.log(f"warning: {message}")

    def to_dict(self, manifest: dict | None = None, bundle: Path | None = None, error: Exception | None = None) -> dict:
        from hpi.compiler.source import sha256_file

        report = {
            "schema": REPORT_SCHEMA,
            "status": "error" if error else "ok",
            "seconds": round(time.perf_counter() - self._start, 3),
            "timings": self.timings,
            "cache": self.cache,
            "warnings": self.warnings,
        }
        if error is not None:
            report["error"] = {"type": type(error).__name__, "exit_code": getattr(error, "exit_code", 1),
                               "message": str(error)}
        if bundle is not None and bundle.is_file():
            report["bundle"] = {"path": str(bundle), "size": bundle.stat().st_size, "sha256": sha256_file(bundle)}
        if manifest is not None:
            report["tools"] = manifest["created_by"]["tools"]
            report["hpi"] = manifest["created_by"]["hpi"]
            report["targets"] = manifest["targets"]
            report["models"] = {key: _model_summary(entry, manifest) for key, entry in manifest["models"].items()}
        return report


def _model_summary(entry: dict, manifest: dict) -> dict:
    members = {m["name"]: m for m in manifest["members"]}
    return {
        "model_name": entry["model_name"],
        "family": entry["family"],
        "conversion": entry["conversion"],
        "artifacts": [
            {"target": a["target"], "format": a["format"], "precision": a["precision"],
             "members": [{"name": n, "size": members[n]["size"], "sha256": members[n]["sha256"]}
                         for n in sorted(a["members"].values())]}
            for a in entry["artifacts"]
        ],
        "verification": {
            "reference": entry["verification"]["reference"],
            "tolerance": entry["verification"]["tolerance"],
            "backends": {b: {"passed": v["passed"], "max_abs": v["max_abs"],
                             "max_rel": max((d["max_rel"] for d in v["diffs"]), default=0.0),
                             "outputs": v["diffs"]}
                         for b, v in entry["verification"]["backends"].items()},
            "rejected_candidates": entry["verification"]["rejected_candidates"],
        },
    }

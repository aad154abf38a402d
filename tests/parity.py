"""Every field PaddleX returns, compared with ours at a tolerance near what is achieved.

`compare(name, ours, theirs, tolerances)` walks PaddleX's JSON result: the keys must be the same at every
level; a list of records (boxes) must have the same length and is compared record by record; a field named in
`tolerances` is compared by its metric (or each of a tuple of metrics) (largest absolute difference, 1 - cosine, share of pixels that
differ); every other field (texts, labels, class ids, angles, settings, integer polygons) must be equal.
Field names are dotted paths without list indices ("boxes.coordinate", "doc_preprocessor_res.angle").

Each parity test keeps its tolerances beside the figure measured when they were set (about 10x the worst
over the test images and both backends) and records the worst difference per field it sees in MEASURED,
(case -> field -> worst). The session writes them to $HPI_PARITY_RESULTS when that is set (a JSON file);
with HPI_PARITY_MEASURE=1 every numeric field is compared at an infinite tolerance so that a first run
measures instead of failing.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MEASURE = os.environ.get("HPI_PARITY_MEASURE") == "1"
MEASURED: dict[str, dict[str, float]] = {}


@dataclass(frozen=True)
class MaxAbs:
    """The largest absolute difference of the values (scores, coordinates, embedding elements)."""
    limit: float
    label = "max abs"

    def measure(self, a: np.ndarray, b: np.ndarray) -> float:
        return float(np.abs(a - b).max()) if a.size else 0.0


@dataclass(frozen=True)
class OneMinusCosine:
    """1 - the cosine of the two vectors (embeddings), per row."""
    limit: float
    label = "1 - cosine"

    def measure(self, a: np.ndarray, b: np.ndarray) -> float:
        a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
        cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
        return float((1 - cos).max()) if cos.size else 0.0


@dataclass(frozen=True)
class DifferingShare:
    """The share of the elements (label-map or mask pixels) that differ."""
    limit: float
    label = "differing share"

    def measure(self, a: np.ndarray, b: np.ndarray) -> float:
        return float((a != b).mean()) if a.size else 0.0


def _numeric(value) -> np.ndarray | None:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


def compare(name: str, ours, theirs, tolerances: dict, *, case: str | None = None, skip=()) -> list[str]:
    """Mismatches between our result and PaddleX's (`name` prefixes each); records worst differences under
    `case`. `skip`: fields the caller compares itself."""
    worst = MEASURED.setdefault(case, {}) if case else {}
    out: list[str] = []
    _walk("", ours, theirs, tolerances, skip, out, worst, name)
    return out


def _walk(field, a, b, tolerances, skip, out, worst, name) -> None:
    if field in skip:
        return
    where = field or "result"
    if isinstance(b, dict):
        if not isinstance(a, dict) or set(a) != set(b):
            out.append(f"{name}: {where} keys {sorted(a) if isinstance(a, dict) else type(a).__name__} "
                       f"!= PaddleX's {sorted(b)}")
            return
        for key in b:
            _walk(f"{field}.{key}" if field else key, a[key], b[key], tolerances, skip, out, worst, name)
        return
    if isinstance(b, list) and b and all(isinstance(x, dict) for x in b):
        if not isinstance(a, list) or len(a) != len(b):
            out.append(f"{name}: {len(a) if isinstance(a, list) else a!r} {where} vs PaddleX's {len(b)}")
            return
        for x, y in zip(a, b):
            _walk(field, x, y, tolerances, skip, out, worst, name)
        return
    metric = tolerances.get(field)
    if metric is None:
        if a != b:
            out.append(f"{name}: {where} {_short(a)} != PaddleX's {_short(b)}")
        return
    x, y = _numeric(a), _numeric(b)
    if x is None or y is None or x.shape != y.shape:
        out.append(f"{name}: {where} {_short(a)} and PaddleX's {_short(b)} differ in form")
        return
    metrics = metric if isinstance(metric, tuple) else (metric,)
    for m in metrics:
        key = f"{field} ({m.label})" if len(metrics) > 1 else field
        diff = m.measure(x, y)
        worst[key] = max(worst.get(key, 0.0), diff)
        if not MEASURE and not diff <= m.limit:
            out.append(f"{name}: {where} differ by {diff:.3g} ({m.label}; limit {m.limit:g})")


def record(case: str, field: str, value: float, worse=max) -> None:
    """A worst difference measured by the caller itself (e.g. placed instance masks)."""
    fields = MEASURED.setdefault(case, {})
    fields[field] = worse(fields[field], value) if field in fields else value


def report(case: str) -> str:
    """The worst differences of one case, for the test's printed summary."""
    return ", ".join(f"{k} {v:.2g}" for k, v in sorted(MEASURED.get(case, {}).items()))


def write_measured(path: Path) -> None:
    """Merge MEASURED into the JSON at `path` (cases from other runs are kept)."""
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    for case, fields in MEASURED.items():
        data[case] = {k: (v if math.isfinite(v) else None) for k, v in sorted(fields.items())}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n", encoding="utf-8")

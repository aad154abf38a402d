"""Compare outputs with expected ones, Polygraphy-style: the worst element per output.

Used by the compiler (artifacts vs Paddle) and by `hpi verify --self-test` on the target (this
machine's backends vs the golden outputs stored in the bundle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np



@dataclass(frozen=True)
class Tolerance:
    """Passes when every output element satisfies |got - want| <= atol + rtol * |want|, except at most
    `mismatch_fraction` of them: for integer label maps (argmax inside the model), where a pixel whose
    two best scores are within float noise may flip and no atol short of the class count would help."""

    atol: float
    rtol: float = 0.0
    mismatch_fraction: float = 0.0

    def to_dict(self) -> dict:
        # Written only when set, so manifests of float-output models stay as they were.
        extra = {"mismatch_fraction": self.mismatch_fraction} if self.mismatch_fraction else {}
        return {"atol": self.atol, "rtol": self.rtol, **extra}


@dataclass
class Case:
    """One set of inputs: a profile corner (`min`/`opt`/`max`) or a calibration image."""

    name: str
    feeds: dict[str, np.ndarray]
    expected: list[np.ndarray]


@dataclass
class OutputDiff:
    case: str
    output: str
    max_abs: float
    max_rel: float
    worst_index: tuple[int, ...]
    worst_expected: float
    worst_got: float
    passed: bool
    mismatched: float = 0.0  # share of elements outside atol + rtol * |want|; 0 unless the tolerance allows one

    def to_dict(self) -> dict:
        extra = {"mismatched": self.mismatched} if self.mismatched else {}
        return {"case": self.case, "output": self.output, "max_abs": self.max_abs, "max_rel": self.max_rel,
                "passed": self.passed, **extra}

    def describe(self) -> str:
        if self.max_abs == float("inf") and not self.worst_index:
            return f"output {self.output!r} on {self.case}: shape differs from the reference's"
        share = f", {self.mismatched:.3%} of elements outside tolerance" if self.mismatched else ""
        return (f"output {self.output!r} on {self.case}: max abs diff {self.max_abs:.3g} at "
                f"{list(self.worst_index)} (want {self.worst_expected:.6g}, got {self.worst_got:.6g}){share}")


def _output_orders() -> dict:
    from hpi.runtime_min.ops.detection import paddle_nms_order, topk_order
    from hpi.runtime_min.ops.instance_segmentation import topk_masks_order

    return {"paddle_nms": paddle_nms_order, "topk": topk_order, "topk_masks": topk_masks_order}


def canonical(outputs: list[np.ndarray], order: str | None) -> list[np.ndarray]:
    """Outputs whose row order a backend may legitimately change (a model spec's `output_order`, e.g.
    NMS boxes) put into the reference's order, so that comparing element by element is fair."""
    if order is None:
        return outputs
    orders = _output_orders()
    if order not in orders:
        raise ValueError(f"unknown output_order {order!r}; known: {', '.join(orders)}")
    return orders[order](outputs)


# Elements compared per step: float64 work arrays of 8 MB each instead of five the size of the output
# (PP-OCRv4 det's 4000x4000 map made that 640 MB at once during compile-time verification).
CHUNK = 1 << 20


def compare(case: Case, got: list[np.ndarray], output_names: list[str], tol: Tolerance,
            order: str | None = None) -> list[OutputDiff]:
    """Worst element per output; with `order`, both sides are first put in canonical row order."""
    got, expected = canonical(got, order), canonical(case.expected, order)
    diffs = []
    for name, want, have in zip(output_names, expected, got):
        if want.shape != have.shape:
            diffs.append(OutputDiff(case.name, name, float("inf"), float("inf"), (), float("nan"), float("nan"), False))
            continue
        diffs.append(_compare_one(case.name, name, np.asarray(want), np.asarray(have), tol))
    return diffs


def _compare_one(case: str, name: str, want: np.ndarray, have: np.ndarray, tol: Tolerance) -> OutputDiff:
    flat_want, flat_have = want.reshape(-1), have.reshape(-1)
    max_abs = max_rel = 0.0
    worst_err = worst_excess = None  # (value, flat index) of the largest difference / largest excess
    outside, finite = 0, True
    for lo in range(0, flat_want.size, CHUNK):
        want64 = flat_want[lo:lo + CHUNK].astype(np.float64)
        have64 = flat_have[lo:lo + CHUNK].astype(np.float64)
        err = np.abs(have64 - want64)
        excess = err - (tol.atol + tol.rtol * np.abs(want64))
        rel = err / np.maximum(np.abs(want64), 1e-12)
        max_abs, max_rel = _nan_max(max_abs, err.max()), _nan_max(max_rel, rel.max())
        worst_err = _first_max(worst_err, err, lo)
        worst_excess = _first_max(worst_excess, excess, lo)
        outside += int((excess > 0).sum())
        finite = finite and bool(np.isfinite(have64).all())
    if not flat_want.size:
        return OutputDiff(case, name, 0.0, 0.0, (), 0.0, 0.0, finite)
    mismatched = outside / flat_want.size
    # the element furthest past the tolerance when any is, else the largest difference
    flat = (worst_excess if outside else worst_err)[1]
    worst = tuple(int(i) for i in np.unravel_index(flat, want.shape))
    return OutputDiff(case, name, float(max_abs), float(max_rel), worst, float(flat_want[flat]), float(flat_have[flat]),
                      finite and mismatched <= tol.mismatch_fraction,
                      # the share matters (and is reported) only where the tolerance allows one
                      mismatched if tol.mismatch_fraction else 0.0)


def _nan_max(a: float, b: float) -> float:
    """max() that keeps a NaN, as ndarray.max does."""
    return a if np.isnan(a) else b if np.isnan(b) else max(a, b)


def _first_max(best, values: np.ndarray, offset: int):
    """(value, flat index) of the first maximum so far, NaN first, as np.argmax over the whole array."""
    i = int(np.argmax(values))
    value = float(values[i])
    if best is None or (np.isnan(value) and not np.isnan(best[0])) or (not np.isnan(best[0]) and value > best[0]):
        return value, offset + i
    return best


def verify_session(session, cases: list[Case], output_names: list[str], tol: Tolerance,
                   order: str | None = None) -> list[OutputDiff]:
    """Run every case through `session` (a runtime backend Session) and compare."""
    diffs = []
    for case in cases:
        diffs += compare(case, session.run(case.feeds), output_names, tol, order)
    return diffs

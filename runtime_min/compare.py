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


def compare(case: Case, got: list[np.ndarray], output_names: list[str], tol: Tolerance,
            order: str | None = None) -> list[OutputDiff]:
    """Worst element per output; with `order`, both sides are first put in canonical row order."""
    got, expected = canonical(got, order), canonical(case.expected, order)
    case = Case(case.name, case.feeds, expected)
    diffs = []
    for name, want, have in zip(output_names, case.expected, got):
        if want.shape != have.shape:
            diffs.append(OutputDiff(case.name, name, float("inf"), float("inf"), (), float("nan"), float("nan"), False))
            continue
        want64, have64 = want.astype(np.float64), have.astype(np.float64)
        err = np.abs(have64 - want64)
        excess = err - (tol.atol + tol.rtol * np.abs(want64))
        # the element furthest past the tolerance when any is, else the largest difference
        worst = np.unravel_index(int(np.argmax(excess if (excess > 0).any() else err)), err.shape) if err.size else ()
        rel = err / np.maximum(np.abs(want64), 1e-12)
        mismatched = float((excess > 0).mean()) if err.size else 0.0
        passed = bool(np.isfinite(have64).all() and mismatched <= tol.mismatch_fraction)
        diffs.append(OutputDiff(
            case.name, name, float(err.max(initial=0.0)), float(rel.max(initial=0.0)), tuple(int(i) for i in worst),
            float(want64[worst]) if err.size else 0.0, float(have64[worst]) if err.size else 0.0, passed,
            # the share matters (and is reported) only where the tolerance allows one
            mismatched if tol.mismatch_fraction else 0.0,
        ))
    return diffs


def verify_session(session, cases: list[Case], output_names: list[str], tol: Tolerance,
                   order: str | None = None) -> list[OutputDiff]:
    """Run every case through `session` (a runtime backend Session) and compare."""
    diffs = []
    for case in cases:
        diffs += compare(case, session.run(case.feeds), output_names, tol, order)
    return diffs

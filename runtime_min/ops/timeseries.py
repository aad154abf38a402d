"""Time series pre/post-processing as PaddleX 3.7.2 does it with pandas, in numpy (the runtime has no pandas).

PaddleX reads a CSV with `pandas.read_csv`, keeps its last in_chunk_len + skip_chunk_len rows (TSCutOff), scales
the value columns with the model's StandardScaler (TSNormalize, float64), indexes them by the parsed time column
and sorts (BuildTSDataset / load_from_dataframe), and feeds the model's inputs as float32 (TStoArray). A forecast is indexed from the window's last
time plus its inferred step at the model's `freq` (ArraytoTS), unscaled as scikit-learn's inverse_transform does
on float32 (TSDeNormalize), and written by `DataFrame.to_csv`. Each step here is that step, on the cases hpi
supports: ISO date-times (YYYY-MM-DD[ HH:MM[:SS[.f]]], what pandas writes) or integer steps, and fixed
frequencies (pandas' tick aliases: D, h, min, s, ms, us, ns, with a multiple). Other inputs are an InputError that
says what was found, and a model whose freq is not fixed is refused when it is compiled. TimeFeature (calendar
covariates, `time_feat: true`) is not here: PaddleX 3.7.2's own TimeFeature fails under pandas 3 (it indexes a
Series by position, `tf_kcov[time_col][-1]`: KeyError -1), so there is no oracle to hold it to; such models are
refused when compiled.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass

import numpy as np

from hpi.core.errors import InputError

# pandas' fixed-length offset aliases (and their older spellings) → numpy's unit.
_TICKS = {"D": "D", "h": "h", "H": "h", "min": "m", "T": "m", "s": "s", "S": "s", "ms": "ms", "L": "ms",
          "us": "us", "U": "us", "ns": "ns", "N": "ns"}
_FREQ = re.compile(r"^\s*(\d*)\s*([A-Za-z]+)\s*$")


def parse_freq(freq: str) -> np.timedelta64:
    """A pandas tick alias ("1h", "15min", "D") as a numpy timedelta; ValueError for other offsets."""
    match = _FREQ.match(str(freq))
    if not match or match.group(2) not in _TICKS:
        raise ValueError(f"freq {freq!r} is not a fixed frequency (hpi supports {', '.join(sorted(set(_TICKS)))} "
                         "with a multiple, e.g. 1h or 15min)")
    return np.timedelta64(int(match.group(1) or 1), _TICKS[match.group(2)]).astype("timedelta64[ns]")


@dataclass
class Table:
    """A CSV as pandas.read_csv types it: int64, float64 (empty cells NaN), bool or str columns, in file order."""

    names: list[str]
    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def tail(self, n: int) -> "Table":
        return Table(self.names, {k: v[len(self) - n:] for k, v in self.columns.items()})

    def records(self) -> list[dict]:
        """DataFrame.to_json(orient="records") read back: one dict per row, floats to 10 decimals, NaN as None."""
        cols = [(name, _json_values(self.columns[name])) for name in self.names]
        return [{name: values[i] for name, values in cols} for i in range(len(self))]


def _json_values(values: np.ndarray) -> list:
    if values.dtype.kind == "f":
        return [None if math.isnan(v) else round(v, 10) for v in values.astype(np.float64).tolist()]
    return values.tolist()


def _typed(cells: list[str]) -> np.ndarray:
    """One column's cells typed as pandas' C parser does for these cases."""
    present = [c for c in cells if c != ""]
    for kind in (np.int64, np.float64):
        try:
            if kind is np.int64 and len(present) == len(cells):
                return np.array([int(c) for c in cells], dtype=np.int64)
            if kind is np.float64:
                return np.array([float(c) if c != "" else np.nan for c in cells], dtype=np.float64)
        except ValueError:
            continue
    if present and all(c in ("True", "False") for c in present) and len(present) == len(cells):
        return np.array([c == "True" for c in cells])
    return np.array(cells, dtype=object)


def read_table(path) -> Table:
    """A CSV file with a header row; InputError when it is empty or ragged."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows = [r for r in rows if r]
    if len(rows) < 2:
        raise InputError(f"{path}: no data rows (PaddleX reads a CSV with a header row)")
    names = rows[0]
    if any(len(r) != len(names) for r in rows[1:]):
        bad = next(i for i, r in enumerate(rows[1:], 2) if len(r) != len(names))
        raise InputError(f"{path}: line {bad} has a different number of fields than the header ({len(names)})")
    return Table(names, {name: _typed([r[j] for r in rows[1:]]) for j, name in enumerate(names)})


def _times(values: np.ndarray, column: str) -> np.ndarray:
    try:
        return np.array([str(v).strip().replace("/", "-") for v in values], dtype="datetime64[ns]")
    except ValueError:
        raise InputError(f"time column {column!r}: {values[0]!r}... is not a date-time hpi reads "
                         "(YYYY-MM-DD[ HH:MM[:SS]])") from None


@dataclass
class Window:
    """The model's view of one CSV: the time index (datetime64[ns], or int64 steps) and the scaled value columns
    (float64 [time, columns]), sorted by time."""

    index: np.ndarray
    values: np.ndarray


def window(table: Table, spec) -> Window:
    """TSCutOff, TSNormalize and BuildTSDataset on one table."""
    need = spec.in_chunk_len + spec.skip_chunk_len
    if len(table) < need:
        raise InputError(f"the series has {len(table)} rows; this model needs at least {need} "
                         f"(in_chunk_len {spec.in_chunk_len} + skip_chunk_len {spec.skip_chunk_len})")
    missing = [c for c in (spec.time_col, *spec.columns) if c not in table.columns]
    if missing:
        raise InputError(f"the CSV has no column {', '.join(map(repr, missing))} (columns: {', '.join(table.names)})")
    cut = table.tail(need)
    values = np.stack([_numeric(cut.columns[c], c) for c in spec.columns], axis=1)
    if spec.scaler is not None:
        values = scale(values, spec.scaler)
    times = cut.columns[spec.time_col]
    if times.dtype.kind == "i" and not isinstance(spec.freq, str):
        step = int(spec.freq or 1)
        if (times.max() + step - times.min()) / step != len(times):
            raise InputError("The number of rows doesn't match with the RangeIndex! (the integer time column "
                             f"{spec.time_col!r} must step by {step} without gaps)")
        index = np.arange(times.min(), times.max() + step, step, dtype=np.int64)
        order = np.argsort(times, kind="stable")
        return Window(index, values[order])
    index = _times(times, spec.time_col)
    order = np.argsort(index, kind="stable")
    return Window(index[order], values[order])


def _numeric(values: np.ndarray, column: str) -> np.ndarray:
    if values.dtype.kind not in "iuf":
        raise InputError(f"column {column!r} is not numeric (first value {values[0]!r})")
    return values.astype(np.float64)


def scale(values: np.ndarray, scaler) -> np.ndarray:
    """StandardScaler.transform on float64: X -= mean_, X /= scale_."""
    out = values.astype(np.float64, copy=True)
    if scaler.mean is not None:
        out -= np.asarray(scaler.mean, np.float64)
    if scaler.scale is not None:
        out /= np.asarray(scaler.scale, np.float64)
    return out


def unscale(values: np.ndarray, scaler) -> np.ndarray:
    """StandardScaler.inverse_transform on the model's float32 output, in place as scikit-learn does: each step
    computed in float64 and stored back as float32."""
    out = values.astype(np.float32, copy=True)
    if scaler.scale is not None:
        out *= np.asarray(scaler.scale, np.float64)
    if scaler.mean is not None:
        out += np.asarray(scaler.mean, np.float64)
    return out


def inferred_step(index: np.ndarray) -> np.timedelta64:
    """pandas.infer_freq for fixed steps: the one step between all timestamps; InputError otherwise."""
    steps = np.unique(np.diff(index))
    if len(index) < 3 or len(steps) != 1 or steps[0] <= np.timedelta64(0, "ns"):
        raise InputError("the series' timestamps are not evenly spaced, so its frequency cannot be inferred "
                         "(PaddleX needs pandas.infer_freq to find one)")
    return steps[0]


def future_index(index: np.ndarray, spec) -> np.ndarray:
    """ArraytoTS's index of the forecast: from the last time plus the inferred step, at the model's freq."""
    if index.dtype.kind == "i":
        start = int(index.max()) + 1
        return np.arange(start, start + spec.out_chunk_len, int(spec.freq), dtype=np.int64)
    start = index[-1] + inferred_step(index)
    return start + parse_freq(spec.freq) * np.arange(spec.out_chunk_len)


def model_inputs(win: Window, spec) -> dict[str, np.ndarray]:
    """TStoArray + TStoBatch: each of the model's inputs as float32 [1, time, channels]."""
    arrays = {}
    for name in sorted(spec.inputs):
        if name in ("past_target", "observed_cov_numeric"):
            arrays[name] = win.values.astype(np.float32)[None]
        else:
            raise InputError(f"model input {name!r} is not one hpi builds from a CSV")
    return arrays


def format_index(index: np.ndarray) -> list[str]:
    """DataFrame.to_csv's text of a DatetimeIndex (dates alone when every time is midnight) or int index."""
    if index.dtype.kind == "i":
        return [str(v) for v in index.tolist()]
    days = index.astype("datetime64[D]")
    if np.all(index == days):
        return [str(d) for d in days]
    ns = (index - index.astype("datetime64[s]")).astype(np.int64)
    unit = "s" if not ns.any() else "us" if not (ns % 1000).any() else "ns"
    return [str(t).replace("T", " ") for t in index.astype(f"datetime64[{unit}]")]


def csv_text(index_name: str, index: list[str], names: list[str], values: np.ndarray) -> str:
    """DataFrame.to_csv: the index column first, floats as numpy prints them (shortest for their dtype)."""
    out = [",".join([index_name, *names])]
    cells = values.astype(str)
    out += [",".join([index[i], *cells[i]]) for i in range(len(index))]
    return "\n".join(out) + "\n"

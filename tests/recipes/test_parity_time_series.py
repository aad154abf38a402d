"""Time series bundles vs PaddleX 3.7.2 itself: forecasting (DLinear, NLinear, RLinear) and anomaly detection
(DLinear_ad), as model dirs and through PaddleX's stock ts_forecast.yaml / ts_anomaly_detection.yaml from a
PaddleX model cache. PaddleX's own HPI does not take these models (❌ in its table).

The models are PaddleTS's networks with seeded weights, exported with PaddleTS's signature, inference.yml and a
fitted scaler.pkl (tests/fixtures/make_ts_model.py). The CSVs are generated here (make_ts_model.write_csv: hourly
sines with trend and seeded noise): 240 rows; exactly in_chunk_len rows across a year's end; one with whole-number
columns (pandas reads int64; its JSON keeps them ints). PaddleX runs in .venv-oracle (tests/oracle/paddlex_ts.py)
on the same files; hpi-run writes JSON (--output), CSV (--save-csv) and pictures (--save-vis). Held to: JSON every
field (forecast values within TOLERANCES, the rest equal), the CSV's header and time column identical and its values
within the same tolerance (identical text measured everywhere but RLinear on OpenVINO, 1 float32 ulp), the pictures
pixel-identical (both environments draw with the same matplotlib).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ORACLE_PYTHON, REPO, compile_cli, needs_oracle, paddlex_home, run_oracle
from parity import MaxAbs, compare, record, report

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
import make_ts_model  # noqa: E402

PARITY_FAMILIES = ("ts_forecast", "ts_anomaly_detection")
PARITY_PIPELINES = ("ts_forecast", "ts_anomaly_detection")
COMPILED_MODELS = ("DLinear", "NLinear", "RLinear", "DLinear_ad")
STOCK = {name: next((REPO / ".venv-oracle" / "lib").glob(f"python3*/site-packages/paddlex/configs/pipelines/"
                                                         f"{name}.yaml"), None)
         for name in ("ts_forecast", "ts_anomaly_detection")}
# Forecast values are the model's float32 output unscaled; converters match Paddle to ~1e-6 in the scaled space.
TOLERANCES = {f"forecast.{c}": MaxAbs(2e-5) for c in make_ts_model.TARGETS}  # measured 1.9e-6 (RLinear, OpenVINO)
BACKENDS = ("openvino", "onnxruntime")
# name → how the bundle is made: the model dir, or the stock pipeline config from the cache
CASES = {"DLinear": "dir", "NLinear": "dir", "RLinear": "dir", "ts_forecast": "stock",
         "ts_anomaly_detection": "stock"}

pytestmark = [pytest.mark.slow, needs_oracle()]


@pytest.fixture(scope="module")
def work(tmp_path_factory, hpi_config) -> dict:
    """The model dirs (a PaddleX cache holding DLinear and DLinear_ad too), the CSVs, the bundles and PaddleX's
    outputs for every case."""
    root = tmp_path_factory.mktemp("ts")
    cache = root / "pdx-cache"
    models = {name: make_ts_model.make_model(cache / "official_models" / name, name, seed)
              for seed, name in enumerate(COMPILED_MODELS)}
    data = root / "data"
    data.mkdir()
    csvs = [make_ts_model.write_csv(data / "hourly.csv"),
            make_ts_model.write_csv(data / "year_end.csv", rows=make_ts_model.IN_CHUNK, seed=1,
                                    start="2023-12-28 00:00:00"),
            make_ts_model.write_csv(data / "whole_numbers.csv", rows=150, seed=2, integer_columns=("MUFL", "OT"))]
    bundles, jobs = {}, []
    for name, how in CASES.items():
        bundles[name] = root / f"{name}.hpi"
        source = models[name] if how == "dir" else STOCK[name]
        with paddlex_home(cache):
            assert compile_cli(source, "--output", bundles[name], "--quiet") == 0
        jobs.append({"out": str(root / "paddlex" / name), "inputs": [str(p) for p in csvs],
                     **({"model_dir": str(source)} if how == "dir" else {"pipeline": str(source)})})
    (root / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
    proc = run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_ts.py"), str(root / "jobs.json")],
                      capture_output=True, text=True, env={**os.environ, "PADDLE_PDX_CACHE_HOME": str(cache)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"root": root, "csvs": csvs, "bundles": bundles}


def test_stock_configs_are_paddlex_own():
    assert all(STOCK.values()), "PaddleX 3.7.2's ts_forecast.yaml / ts_anomaly_detection.yaml not found"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(CASES))
def test_hpi_run_writes_paddlex_outputs(work, name, backend):
    """hpi-run's JSON, CSV and picture for every CSV, against PaddleX's files."""
    from hpi.runtime_min.cli import main

    ours, theirs = work["root"] / "hpi" / f"{name}-{backend}", work["root"] / "paddlex" / name
    args = [str(work["bundles"][name]), "--backend", backend, "--quiet", "--input", *map(str, work["csvs"]),
            "--output", str(ours), "--save-csv", str(ours), "--save-vis", str(ours)]
    assert main(args) == 0
    case = f"time series {name} {backend}"
    mismatches = []
    for csv in work["csvs"]:
        stem = csv.stem
        mismatches += compare(csv.name, json.loads((ours / f"{stem}_res.json").read_text(encoding="utf-8")),
                              json.loads((theirs / f"{stem}.json").read_text(encoding="utf-8")), TOLERANCES, case=case)
        mismatches += _csv_mismatches(csv.name, ours / f"{stem}_res.csv", theirs / f"{stem}_res.csv", case)
        differing = _differing_pixels(ours / f"{stem}_res.png", theirs / f"{stem}_res.png")
        record(case, "picture differing pixels", differing)
        if differing:
            mismatches.append(f"{csv.name}: the picture differs from PaddleX's in {differing} pixels")
    assert not mismatches, "\n".join(mismatches[:20])
    print(f"{case}: worst {report(case)}")


def _csv_mismatches(name: str, ours: Path, theirs: Path, case: str) -> list[str]:
    """The CSV text: header and time column identical; values within the forecast tolerance (a float32 one ulp
    apart prints other digits), the share of differing lines recorded."""
    a, b = (p.read_text(encoding="utf-8").splitlines() for p in (ours, theirs))
    record(case, "csv differing lines (share)", sum(x != y for x, y in zip(a, b)) / max(len(b), 1))
    if len(a) != len(b) or a[0] != b[0] or [r.split(",")[0] for r in a] != [r.split(",")[0] for r in b]:
        return [f"{name}: the CSV's header, rows or time column differ from PaddleX's"]
    worst = max((abs(float(x) - float(y)) for ra, rb in zip(a[1:], b[1:])
                 for x, y in zip(ra.split(",")[1:], rb.split(",")[1:])), default=0.0)
    return [f"{name}: CSV values {worst} apart"] if worst > TOLERANCES[f"forecast.{make_ts_model.TARGETS[0]}"].limit \
        else []


def _differing_pixels(a: Path, b: Path) -> int:
    from PIL import Image

    x, y = (np.asarray(Image.open(p).convert("RGBA")) for p in (a, b))
    return int((x != y).any(axis=-1).sum()) if x.shape == y.shape else x.size


def test_a_short_or_foreign_csv_is_one_clear_line(work, tmp_path):
    """Too few rows, and a CSV without the model's columns: hpi-run's InputError says what the model needs."""
    from hpi.core.errors import InputError
    from hpi.runtime_min import open_bundle

    short = make_ts_model.write_csv(tmp_path / "short.csv", rows=50)
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("when,value\n" + "".join(f"2024-01-01 {h:02d}:00:00,{h}\n" for h in range(24)) * 5)
    model = open_bundle(work["bundles"]["DLinear"])
    with pytest.raises(InputError, match="has 50 rows; this model needs at least 96"):
        model.predict_one(str(short))
    with pytest.raises(InputError, match="no column 'date', 'HUFL', 'OT'"):
        model.predict_one(str(foreign))


def test_scaler_numbers_are_in_the_bundle_not_the_pickle(work):
    """The compiler unpickles scaler.pkl once; the bundle holds its mean and scale, and no pickle."""
    from hpi.core.bundle_format import Bundle
    from hpi.core.signing import TrustStore

    bundle = Bundle.open(work["bundles"]["DLinear"], trust=TrustStore.default())
    scaler = bundle.manifest["models"]["ts_forecast"]["spec"]["scaler"]
    assert scaler["columns"] == make_ts_model.TARGETS and len(scaler["mean"]) == len(scaler["scale"]) == 2
    assert "scaler.pkl" in bundle.manifest["models"]["ts_forecast"]["source"]["files"]
    assert not [name for name in bundle.members if name.endswith(".pkl")]

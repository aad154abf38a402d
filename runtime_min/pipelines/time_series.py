"""Bundles of one time series model (ts_forecast, ts_anomaly_detection), in PaddleX's TSFcResult / TSAdResult form.

Inputs are CSV files (a folder gives its .csv files); the result's JSON is PaddleX's (`input_path`, then
`cutoff_ts` — the whole CSV as read — and `forecast`, or `anomaly`, each as DataFrame.to_json records), its CSV
(`save_to_csv`, hpi-run --save-csv) is the DataFrame PaddleX writes, and its picture (--save-vis) is PaddleX's
matplotlib plot, drawn with matplotlib when it is installed (pip install 'hpi-aot[ts]').
"""

from __future__ import annotations

import numpy as np

from hpi.core.errors import InputError, UsageError
from hpi.runtime_min.ops import timeseries as ts
from hpi.runtime_min.pipelines.base import SingleModelRunner

MATPLOTLIB_MISSING = "time series pictures are drawn with matplotlib, as PaddleX's: pip install 'hpi-aot[ts]'"


class TimeSeriesRunner(SingleModelRunner):
    input_suffixes = {".csv"}

    def read_input(self, item) -> ts.Table:
        if not isinstance(item, str):
            raise InputError("time series input must be a CSV file path (hpi reads no DataFrame)")
        return ts.read_table(item)

    def _run(self, table: ts.Table) -> tuple[ts.Window, np.ndarray]:
        win = ts.window(table, self.spec)
        return win, self.model.session.run(ts.model_inputs(win, self.spec))[0][0]

    def to_json(self, data: dict, input_path=None) -> dict:
        return {"input_path": input_path, **{k: v for k, v in self.json_fields(data).items()}}

    def to_csv(self, data: dict) -> str:
        """What PaddleX's save_to_csv writes for this result."""
        index, (names, values) = data["index"], self.csv_columns(data)
        return ts.csv_text(self.spec.time_col, ts.format_index(index), names, values)

    @staticmethod
    def _plt():
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise UsageError(MATPLOTLIB_MISSING) from None
        return plt

    @staticmethod
    def _save(plt, path) -> None:
        plt.savefig(str(path), format="png", bbox_inches="tight")
        plt.close()


def _records(names: list[str], values: np.ndarray) -> list[dict]:
    rows = values.astype(np.float64).tolist() if values.dtype.kind == "f" else values.tolist()
    return [{n: (round(v, 10) if isinstance(v, float) else v) for n, v in zip(names, row)} for row in rows]


class TSForecastRunner(TimeSeriesRunner):
    """PaddleX's TSFcRunnerPredictor: the next out_chunk_len steps of the target columns."""

    def predict_one(self, table: ts.Table) -> dict:
        win, pred = self._run(table)
        pred = pred.reshape(pred.shape[0], -1).astype(np.float32)
        if self.spec.scaler is not None:
            pred = ts.unscale(pred, self.spec.scaler)
        return {"table": table, "index": ts.future_index(win.index, self.spec), "forecast": pred}

    def json_fields(self, data: dict) -> dict:
        return {"cutoff_ts": data["table"].records(), "forecast": _records(self.spec.columns, data["forecast"])}

    def csv_columns(self, data: dict):
        return self.spec.columns, data["forecast"]

    def save_visualization(self, data: dict, image, path, fonts=None) -> None:
        """PaddleX's ts_forecasting visualize: the last len(forecast) input values dashed blue, the forecast red."""
        plt, table, name = self._plt(), data["table"], self.spec.columns[0]
        forecast_x = ts.format_index(data["index"])
        length = min(len(forecast_x), len(table))
        actual_x = [str(v) for v in table.columns[self.spec.time_col][len(table) - length:]]
        actual_y = table.columns[name][len(table) - length:]
        plt.figure(figsize=(12, 6))
        plt.plot(actual_x, actual_y, label="Actual Data", color="blue", linestyle="--")
        plt.plot(forecast_x, data["forecast"][:, 0], label="Forecast", color="red")
        plt.title("Time Series Forecast")
        plt.xlabel("Time")
        plt.ylabel(name)
        plt.legend()
        plt.grid(True)
        plt.xticks(ticks=range(0, 2 * length, 10))
        plt.xticks(rotation=45)
        self._save(plt, path)


class TSAnomalyRunner(TimeSeriesRunner):
    """PaddleX's TSAdRunnerPredictor: per step of the window, label 1 when the mean squared reconstruction error
    over the feature columns reaches model_threshold."""

    def predict_one(self, table: ts.Table) -> dict:
        win, pred = self._run(table)
        score = np.mean(np.square(pred - win.values), axis=-1)
        labels = (score >= self.spec.model_threshold).astype(np.int64).reshape(pred.shape[0], -1)
        return {"index": win.index, "anomaly": labels}

    def json_fields(self, data: dict) -> dict:
        return {"anomaly": _records(["label"], data["anomaly"])}

    def csv_columns(self, data: dict):
        return ["label"], data["anomaly"]

    def save_visualization(self, data: dict, image, path, fonts=None) -> None:
        """PaddleX's ts_anomaly_detection visualize: the labels as a red step line."""
        plt = self._plt()
        x = ts.format_index(data["index"])
        plt.figure(figsize=(12, 6))
        plt.step(x, data["anomaly"][:, 0], where="post", label="Anomaly", color="red")
        plt.title("Time Series Anomaly Detection")
        plt.xlabel("Time")
        plt.ylabel("label")
        plt.legend()
        plt.grid(True)
        plt.xticks(ticks=range(0, len(x), 10))
        plt.xticks(rotation=45)
        self._save(plt, path)


_RUNNERS = {"ts_forecast": TSForecastRunner, "ts_anomaly_detection": TSAnomalyRunner}


def build(name: str, models: dict, params: dict):
    return _RUNNERS[name].from_models(models)

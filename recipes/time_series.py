"""Time series (PaddleX modules `ts_forecast`, `ts_anomaly_detection`): PaddleTS exports, which PaddleX's own
high-performance inference does not take (its HPI table marks them ❌).

A PaddleTS export is a Paddle static graph with dict inputs (`past_target`, `observed_cov_numeric`
[batch, time, channels]), an `inference.yml` holding the model meta PaddleTS writes (`size`,
`info_params`, `input_data`, `scale`, `time_feat`, `holiday`, `model_threshold`) and, when `scale` is true, a
pickled scikit-learn StandardScaler (`scaler.pkl`). The compiler unpickles the scaler here, once (the runtime never
unpickles anything), and the bundle keeps its numbers; the runtime's numpy code does PaddleX's pandas steps
(runtime_min/ops/timeseries.py).

The model names PaddleX lists and hpi has not verified yet are refused by name with the reason.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hpi.core.errors import CompileError
from hpi.core.specs import TimeSeriesSpec, TSScalerSpec
from hpi.recipes.base import ModelRecipe, PipelineRecipe, Tolerance, refuse_models, register_model, register_pipeline
from hpi.runtime_min.ops.timeseries import parse_freq

_INPUTS = ("past_target", "observed_cov_numeric")

refuse_models({
    name: f"{name}: hpi has no verified time series recipe for it yet (verified: DLinear, NLinear, RLinear, "
          f"DLinear_ad; docs/pipelines.md says what is left)"
    for name in ("PatchTST", "TiDE", "TimesNet", "Nonstationary", "AutoEncoder_ad", "Nonstationary_ad",
                 "PatchTST_ad", "TimesNet_ad", "TimesNet_cls")
})


def _columns(info: dict, key: str, family: str) -> list[str]:
    cols = info.get(key)
    if isinstance(cols, str):
        cols = cols.split(",")
    if not cols:
        raise CompileError(f"{family} inference.yml info_params has no {key} (PaddleX names the output columns by it)")
    return [str(c) for c in cols]


def read_scaler(model_dir: Path, columns: list[str]) -> TSScalerSpec:
    """scaler.pkl (joblib, as PaddleTS dumps it) as its numbers; only StandardScaler, as PaddleTS fits."""
    path = Path(model_dir) / "scaler.pkl"
    if not path.is_file():
        raise CompileError(f"{model_dir}: inference.yml says scale: true but there is no scaler.pkl (PaddleX "
                           "fails the same way: 'Cannot find scaler file')")
    try:
        import joblib
    except ImportError:
        raise CompileError("reading scaler.pkl needs joblib and scikit-learn: pip install scikit-learn") from None
    scaler = joblib.load(path)
    if type(scaler).__name__ != "StandardScaler":
        raise CompileError(f"{path} holds a {type(scaler).__name__}; hpi reads PaddleTS's StandardScaler only")
    if len(scaler.mean_) != len(columns):
        raise CompileError(f"{path} scales {len(scaler.mean_)} columns; inference.yml names {len(columns)}: {columns}")
    return TSScalerSpec(columns=columns,
                        mean=[float(v) for v in scaler.mean_] if scaler.with_mean else None,
                        scale=[float(v) for v in scaler.scale_] if scaler.with_std and scaler.scale_ is not None
                        else None)


class _TimeSeriesRecipe(ModelRecipe):
    columns_key = "target_cols"
    # Model outputs in the scaled space, values of order 1: converters differ from Paddle by ~1e-6 here.
    tolerance = Tolerance(atol=1e-4)
    default_profile = {}

    @classmethod
    def spec_for(cls, source) -> TimeSeriesSpec:
        spec = cls.runtime_spec(source.config)
        return replace(spec, scaler=read_scaler(source.model_dir, spec.columns)) if source.config.get("scale") \
            else spec

    @classmethod
    def runtime_spec(cls, config):
        """The spec without the scaler's numbers (spec_for adds them from scaler.pkl)."""
        family = cls.family
        size, info = config.get("size") or {}, config.get("info_params") or {}
        if "in_chunk_len" not in size or not info.get("time_col"):
            raise CompileError(f"{family} inference.yml needs size.in_chunk_len and info_params.time_col "
                               "(PaddleTS's export writes both)")
        if config.get("time_feat") or config.get("holiday"):
            raise CompileError(f"{family}: time features (time_feat: true) are not supported by hpi yet: PaddleX "
                               "3.7.2's own TimeFeature fails under pandas 3, so they cannot be verified against it")
        inputs = config.get("input_data") or {}
        unknown = [n for n in inputs if n not in _INPUTS]
        if not inputs or unknown:
            raise CompileError(f"{family} inference.yml input_data {sorted(inputs)}: hpi builds {', '.join(_INPUTS)}")
        freq = info.get("freq")
        if isinstance(freq, str):
            try:
                parse_freq(freq)
            except ValueError as exc:
                raise CompileError(f"{family}: {exc}") from None
        return cls._spec(config, size, info, freq, inputs)

    @classmethod
    def _spec(cls, config, size, info, freq, inputs) -> TimeSeriesSpec:
        return TimeSeriesSpec(
            time_col=str(info["time_col"]), freq=freq, columns=_columns(info, cls.columns_key, cls.family),
            in_chunk_len=int(size["in_chunk_len"]), skip_chunk_len=int(size.get("skip_chunk_len") or 0),
            inputs={k: list(v) for k, v in sorted(inputs.items())}, scaler=None,
            out_chunk_len=int(size["out_chunk_len"]) if "out_chunk_len" in size else None)

    @classmethod
    def profile(cls, config):
        """One series at a time (PaddleX's batch of 1), each input at its exported [time, channels]."""
        size = config.get("size") or {}
        profile = {}
        for name, shape in sorted((config.get("input_data") or {}).items()):
            profile[name] = tuple([1, int(size["in_chunk_len"]), int(shape[-1])] for _ in range(3))
        return profile

    @classmethod
    def sample_inputs(cls, image, spec):
        raise CompileError("calibration images do not apply to time series models; compile without "
                           "--calibration-images (the profile's cases verify the model)")


@register_model
class TSForecastRecipe(_TimeSeriesRecipe):
    family = "ts_forecast"
    model_names = ("DLinear", "NLinear", "RLinear")

    @classmethod
    def _spec(cls, config, size, info, freq, inputs):
        if "out_chunk_len" not in size:
            raise CompileError("ts_forecast inference.yml has no size.out_chunk_len")
        if not isinstance(freq, (str, int)) or isinstance(freq, bool):
            raise CompileError(f"ts_forecast inference.yml info_params.freq must be an offset alias or an integer "
                               f"step (PaddleX's ArraytoTS indexes the forecast with it), got {freq!r}")
        return super()._spec(config, size, info, freq, inputs)


@register_model
class TSAnomalyRecipe(_TimeSeriesRecipe):
    family = "ts_anomaly_detection"
    model_names = ("DLinear_ad",)
    columns_key = "feature_cols"

    @classmethod
    def _spec(cls, config, size, info, freq, inputs):
        if "model_threshold" not in config:
            raise CompileError("ts_anomaly_detection inference.yml has no model_threshold")
        spec = super()._spec(config, size, info, freq, inputs)
        return replace(spec, model_threshold=float(config["model_threshold"]))


class _SingleModule(PipelineRecipe):
    @classmethod
    def params(cls, config, models):
        return {}  # PaddleX's TS pipelines pass the input straight to the model


@register_pipeline
class TSForecastPipeline(_SingleModule):
    """PaddleX's ts_forecast.yaml: SubModules.TSForecast alone."""

    name = "ts_forecast"
    modules = {"TSForecast": "model"}


@register_pipeline
class TSAnomalyPipeline(_SingleModule):
    """PaddleX's ts_anomaly_detection.yaml: SubModules.TSAnomalyDetection alone."""

    name = "ts_anomaly_detection"
    modules = {"TSAnomalyDetection": "model"}

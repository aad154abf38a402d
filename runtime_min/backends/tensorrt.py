"""TensorRT backend: runs a bundle's prebuilt engine, or builds one on the first run and caches it.

A `tensorrt_plan` artifact either holds an engine (`members.engine`; config says the TensorRT version,
compute capability, precision and profile it was built for: `accepts` refuses it on any other machine,
so the runtime falls back to ONNX Runtime with the reason), or (`config.build == "on_first_run"`) holds
the verified ONNX and the golden case, from which the engine is built on this GPU, verified against
Paddle's golden outputs (fp16 → fp16 with sensitive layers in fp32 → fp32) and cached under
$HPI_ENGINE_CACHE keyed like prebuilt engines.

Full TensorRT (`tensorrt`) runs any engine; the lean runtime (`tensorrt_lean`, 44 MB) runs engines built
version-compatible. Device memory goes through cuda-python (`cuda.bindings`).
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np

from hpi.runtime_min.backends import tensorrt_engine as engines
from hpi.runtime_min.backends.base import Backend, Session
from hpi.core.errors import BackendUnavailable
from hpi.core.files import write_atomic


def _module():
    for name in ("tensorrt", "tensorrt_lean"):
        if importlib.util.find_spec(name) is not None:
            return importlib.import_module(name)
    return None


def _cudart():
    try:
        from cuda.bindings import runtime as cudart
    except ImportError:
        from cuda import cudart
    return cudart


def _check(result):
    err, *values = result if isinstance(result, tuple) else (result,)
    if int(err) != 0:
        raise RuntimeError(f"CUDA error {err}")
    return values[0] if len(values) == 1 else values


class _TrtSession(Session):
    def __init__(self, trt, engine):
        self._cudart = _cudart()
        self._engine = engine
        self._context = engine.create_execution_context()
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        is_input = {n: engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT for n in names}
        self.input_names = [n for n in names if is_input[n]]
        self.output_names = [n for n in names if not is_input[n]]
        self._dtypes = {n: np.dtype(trt.nptype(engine.get_tensor_dtype(n))) for n in names}
        self._stream = _check(self._cudart.cudaStreamCreate())
        self._buffers: dict[str, tuple[int, int]] = {}  # name → (device pointer, capacity), grown on demand

    def _device(self, name: str, nbytes: int) -> int:
        ptr, capacity = self._buffers.get(name, (0, 0))
        if nbytes > capacity:
            if ptr:
                _check(self._cudart.cudaFree(ptr))
            ptr, capacity = int(_check(self._cudart.cudaMalloc(max(nbytes, 1)))), nbytes
            self._buffers[name] = (ptr, capacity)
        return ptr

    def run(self, feeds):
        cudart, h2d, d2h = self._cudart, self._cudart.cudaMemcpyKind.cudaMemcpyHostToDevice, \
            self._cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost
        for name in self.input_names:
            array = np.ascontiguousarray(feeds[name], dtype=self._dtypes[name])
            self._context.set_input_shape(name, array.shape)
            ptr = self._device(name, array.nbytes)
            _check(cudart.cudaMemcpyAsync(ptr, array.ctypes.data, array.nbytes, h2d, self._stream))
            self._context.set_tensor_address(name, ptr)
        outputs = []
        for name in self.output_names:
            out = np.empty(tuple(self._context.get_tensor_shape(name)), self._dtypes[name])
            self._context.set_tensor_address(name, self._device(name, out.nbytes))
            outputs.append(out)
        if not self._context.execute_async_v3(int(self._stream)):
            raise RuntimeError("TensorRT execution failed")
        for name, out in zip(self.output_names, outputs):
            _check(cudart.cudaMemcpyAsync(out.ctypes.data, self._buffers[name][0], out.nbytes, d2h, self._stream))
        _check(cudart.cudaStreamSynchronize(self._stream))
        return outputs

    def close(self):
        """Device buffers, stream, context and engine go now, not whenever the collector runs."""
        for ptr, _ in getattr(self, "_buffers", {}).values():
            self._cudart.cudaFree(ptr)
        self._buffers = {}
        if getattr(self, "_stream", None) is not None:
            self._cudart.cudaStreamDestroy(self._stream)
            self._stream = None
        self._context = self._engine = None

    __del__ = close  # a session nobody closed still frees its memory


def _npy(data) -> np.ndarray:
    return np.load(io.BytesIO(bytes(data)), allow_pickle=False)


class TensorRtBackend(Backend):
    name = "tensorrt"
    artifact_format = "tensorrt_plan"
    python_module = "tensorrt"
    install_hint = "pip install tensorrt-cu13 (or tensorrt-lean-cu13 for version-compatible engines)"
    devices = ("gpu",)

    @classmethod
    def is_available(cls) -> bool:
        return _module() is not None and importlib.util.find_spec("cuda") is not None

    @classmethod
    def accepts(cls, artifact):
        config = artifact.config
        module = _module()
        if config.get("build") == "on_first_run":
            if importlib.util.find_spec("tensorrt") is None:
                return "its engine is built on first run, which needs full TensorRT (`pip install tensorrt-cu13`)"
            return None
        if module is None:
            return "TensorRT is not installed"
        if module.__name__ == "tensorrt_lean" and not config.get("version_compatible"):
            return "the lean TensorRT runtime runs version-compatible engines only"
        if not engines.runs_here(config["tensorrt_version"], module.__version__, config.get("version_compatible")):
            return f"engine built with TensorRT {config['tensorrt_version']}, this machine has {module.__version__}"
        here = engines.compute_capability()
        if config["compute_capability"] != here:
            return f"engine built for compute capability {config['compute_capability']}, this GPU is {here}"
        return None

    @classmethod
    def compiled_cache_config(cls):
        """Engines built on first run are kept in $HPI_ENGINE_CACHE, keyed by what they depend on; never
        for encrypted artifacts (models.session_config): such an engine is rebuilt in each process."""
        return {"engine_cache": str(engines.cache_dir())}

    @classmethod
    def load(cls, files, config, num_threads):
        trt = _module()
        if trt is None:
            raise BackendUnavailable(f"backend 'tensorrt' needs TensorRT; install it with `{cls.install_hint}`")
        if "engine" in files:
            plan, precision = bytes(files["engine"]), config["precision"]
        else:
            plan, precision = cls._first_run_engine(files, config)
        runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        if config.get("version_compatible"):
            runtime.engine_host_code_allowed = True  # the plan carries its lean runtime; the bundle is signed
        engine = runtime.deserialize_cuda_engine(plan)
        if engine is None:
            raise BackendUnavailable("TensorRT could not deserialize the engine (see its log above)")
        session = _TrtSession(trt, engine)
        session.precision = precision
        return session

    @classmethod
    def _first_run_engine(cls, files, config) -> tuple[bytes, str]:
        """Build (or reuse from the cache) this GPU's engine, verified on the bundle's golden case."""
        import tensorrt as trt

        from hpi.runtime_min.compare import Case, Tolerance

        onnx = bytes(files["onnx"])
        golden = Case("golden", {k[len("input:"):]: _npy(v) for k, v in files.items() if k.startswith("input:")},
                      [_npy(files[f"output:{i}"]) for i in range(config["num_outputs"])])
        capability = engines.compute_capability()
        tolerances = {p: Tolerance(**t) for p, t in config["tolerances"].items()}

        def key(precision):
            return engines.EngineKey.of(onnx, trt.__version__, capability, precision, config["profile"])

        cache = Path(config["engine_cache"]) if config.get("engine_cache") else None
        for precision in config["precisions"] if cache else ():
            cached = cache / f"{key(precision).digest}.plan"
            if cached.exists():
                return cached.read_bytes(), precision

        plan, precision, _ = build_verified_engine(onnx, config["profile"], config["precisions"], tolerances,
                                                   [golden], config.get("output_order"))
        if cache is not None:
            write_atomic(cache / f"{key(precision).digest}.plan", plan)
        return plan, precision


def build_verified_engine(onnx: bytes, profile, precisions, tolerances: dict, cases, output_order=None,
                          version_compatible: bool = False, stage=None) -> tuple[bytes, str, list[str]]:
    """Build engines in `precisions` order and keep the first whose outputs reproduce `cases` within that
    precision's tolerance: the one build-and-verify for `hpi-compile --tensorrt prebuilt` and for engines
    built on first run. Returns (plan, precision, rejected precisions with their reasons); ValueError
    when none passes. `stage(precision)`, a context manager, reports each build (the compiler's log)."""
    from contextlib import nullcontext

    from hpi.runtime_min.compare import verify_session

    plans = {}

    def build_and_verify(precision):
        with (stage or (lambda _: nullcontext()))(precision):
            plans[precision] = engines.build_engine(onnx, profile, precision, version_compatible)
            session = TensorRtBackend.load({"engine": plans[precision]},
                                           {"precision": precision, "version_compatible": version_compatible}, None)
            try:
                bad = [d for d in verify_session(session, cases, session.output_names, tolerances[precision],
                                                 output_order) if not d.passed]
            finally:
                session.close()
        return bad[0].describe() if bad else None

    precision, rejected = engines.first_verified(precisions, build_and_verify)
    return plans[precision], precision, rejected

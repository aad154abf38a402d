"""OpenVINO CPU backend: reads IR from memory, precision fixed by the bundle's config."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import numpy as np

from hpi.runtime_min.backends.base import Backend, Session


_COMPILING = threading.Lock()


def _import_without_converter():
    """`import openvino`, less the model converter its __init__ imports (openvino.tools.ovc, about 60 ms of
    a 0.6 s cold start), which reading IR never uses. A None entry in sys.modules makes that one import
    fail, which openvino catches; `openvino.convert_model` is then imported on first use instead."""
    sys.modules.setdefault("openvino.tools.ovc", None)
    try:
        import openvino
    finally:
        if "openvino.tools.ovc" in sys.modules and sys.modules["openvino.tools.ovc"] is None:
            del sys.modules["openvino.tools.ovc"]
    if not hasattr(openvino, "convert_model"):
        def __getattr__(name):
            if name == "convert_model":
                from openvino.tools.ovc import convert_model

                openvino.convert_model = convert_model
                return convert_model
            raise AttributeError(f"module 'openvino' has no attribute {name!r}")

        openvino.__getattr__ = __getattr__
    return openvino


class _OpenVinoSession(Session):
    def __init__(self, compiled):
        self._request = compiled.create_infer_request()
        self.input_names = [p.get_any_name() for p in compiled.inputs]
        self._outputs = list(compiled.outputs)
        self.output_names = [p.get_any_name() for p in self._outputs]

    def run(self, feeds):
        # Inputs are read in place (they are not touched while infer() runs); outputs come back as numpy
        # arrays of their own (share_outputs=False copies them out of OpenVINO's buffers, which the next
        # infer() reuses), so nothing is copied twice: PP-OCRv4 rec's output alone is 37 MB for 4 lines.
        result = self._request.infer({k: np.ascontiguousarray(v) for k, v in feeds.items()},
                                     share_inputs=True, share_outputs=False)
        return [result[port] for port in self._outputs]

    def close(self):
        self._request = None  # the compiled model goes with its last infer request


class OpenVinoBackend(Backend):
    name = "openvino"
    artifact_format = "openvino_ir"
    python_module = "openvino"
    install_hint = "pip install 'hpi-aot[openvino]'"
    devices = ("cpu",)

    @classmethod
    def compiled_cache_config(cls):
        """OpenVINO's model cache: compile_model reads the compiled blob instead of compiling (cold start
        0.5 s -> 0.1 s for PP-OCRv4 det + rec). OpenVINO keys blobs by a hash of the model, its weights,
        the device and the properties, so a changed bundle or setting misses. $HPI_OV_CACHE moves it
        (default ~/.cache/hpi/openvino); `off` disables it. Never used for encrypted artifacts."""
        where = os.environ.get("HPI_OV_CACHE") or str(Path.home() / ".cache" / "hpi" / "openvino")
        return {} if where == "off" else {"CACHE_DIR": where}

    @classmethod
    def require(cls):
        if "openvino" in sys.modules:
            return sys.modules["openvino"]
        cls.check_installed()
        return _import_without_converter()

    @classmethod
    def load(cls, files, config, num_threads):
        ov = cls.require()
        core = ov.Core()
        weights = ov.Tensor(np.frombuffer(files["weights"], dtype=np.uint8).copy())
        model = core.read_model(model=bytes(files["xml"]).decode("utf-8"), weights=weights)
        # Properties come from the bundle: INFERENCE_PRECISION_HINT is always explicit, because
        # OpenVINO silently picks bf16 on CPUs that have it.
        properties = {key: str(value) for key, value in config.items()}
        if num_threads:
            properties["INFERENCE_NUM_THREADS"] = str(num_threads)
        # One compile at a time: reading a blob from the model cache switches the process locale to "C" and
        # back, and two of those at once can leave it at "C" (then Python's open() reads ASCII).
        with _COMPILING:
            return _OpenVinoSession(core.compile_model(model, "CPU", properties))

"""Paddle Inference as the reference: the outputs every artifact is compared with.

Configured as PaddleX runs these models on CPU (MKLDNN on), so "identical to PaddleX" is what is checked.
"""

from __future__ import annotations

import numpy as np

from hpi.compiler.source import ModelSource
from hpi.runtime_min.errors import CompileError


class PaddleReference:
    def __init__(self, source: ModelSource, num_threads: int = 2):
        if not source.is_paddle:
            raise CompileError(f"{source.model_dir} is ONNX; there is no Paddle reference for it")
        try:
            import paddle.inference as pi
        except ImportError:
            raise CompileError("paddlepaddle is not installed; install the compiler with "
                               "`pip install 'hpi[compiler]'`") from None
        model_file = next(p for n, p in source.files.items() if n.endswith((".json", ".pdmodel")))
        config = pi.Config(str(model_file), str(source.files["inference.pdiparams"]))
        config.disable_gpu()
        config.enable_mkldnn()
        config.set_cpu_math_library_num_threads(num_threads)
        config.disable_glog_info()
        try:
            self._predictor = pi.create_predictor(config)
        except Exception as exc:  # paddle raises bare RuntimeError/ValueError/OSError subclasses
            raise CompileError(f"Paddle cannot load {model_file}: {str(exc).strip().splitlines()[-1][:300]}") from None
        self.input_names = self._predictor.get_input_names()
        self.output_names = self._predictor.get_output_names()

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        for name in self.input_names:
            handle = self._predictor.get_input_handle(name)
            handle.reshape(feeds[name].shape)
            handle.copy_from_cpu(np.ascontiguousarray(feeds[name]))
        self._predictor.run()
        return [self._predictor.get_output_handle(n).copy_to_cpu() for n in self.output_names]

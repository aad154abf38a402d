"""ONNX Runtime backend (CPU execution provider), loading the ONNX model from memory."""

from __future__ import annotations

from hpi.runtime_min.backends.base import Backend, Session


class _OrtSession(Session):
    def __init__(self, session):
        self._session = session
        self.input_names = [i.name for i in session.get_inputs()]
        self.output_names = [o.name for o in session.get_outputs()]

    def run(self, feeds):
        return self._session.run(None, feeds)


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"
    artifact_format = "onnx"
    python_module = "onnxruntime"
    install_hint = "pip install 'hpi[onnxruntime]'"

    @classmethod
    def load(cls, files, config, num_threads):
        cls.require()
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        if num_threads:
            options.intra_op_num_threads = num_threads
            options.inter_op_num_threads = 1
        session = ort.InferenceSession(bytes(files["model"]), options, providers=["CPUExecutionProvider"])
        return _OrtSession(session)

"""The Triton Python-backend model `hpi export triton` writes (its model.py imports this class).

Each model instance (its own stub process) opens and verifies the bundle once, with the trusted keys the
repository carries, then answers requests one image at a time with `Pipeline.predict_one`, as `hpi-run` and
`hpi serve` do. A bad request (no image, undecodable, bad params) gets its own error response; the others in
the same execute() call are still answered.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def _parameters(model_config: dict) -> dict[str, str]:
    return {k: v.get("string_value", "") for k, v in model_config.get("parameters", {}).items()}


def open_from_config(model_config: dict, version_dir: Path):
    """The Pipeline the repository's config.pbtxt parameters describe, paths relative to the version folder."""
    from hpi.core.errors import UsageError
    from hpi.runtime_min.api import open_bundle

    params = _parameters(model_config)
    if "bundle" not in params:
        raise UsageError("config.pbtxt has no 'bundle' parameter: re-export with `hpi export triton`")
    keys = [version_dir / params["trusted_keys"]] if params.get("trusted_keys") else []
    threads = int(params["threads"]) if params.get("threads") else None
    return open_bundle(version_dir / params["bundle"], backend=params.get("backend") or None,
                       trusted_keys=keys, allow_unsigned=params.get("allow_unsigned") == "true",
                       num_threads=threads)


def run_request(pipeline, image: bytes | None, image_bgr: np.ndarray | None, params_json: bytes | None) -> str:
    """One request's PaddleX result JSON; ValueError with the reason for a bad request."""
    from hpi.runtime_min.serving.files import RequestError, decode_image

    if (image is None) == (image_bgr is None):
        raise ValueError("give exactly one of the inputs 'image' (encoded file) and 'image_bgr' (UINT8 HxWx3)")
    if image is not None:
        try:
            image_bgr = decode_image(image)
        except RequestError as exc:
            raise ValueError(str(exc)) from None
    params = {}
    if params_json:
        try:
            params = json.loads(params_json)
        except ValueError as exc:
            raise ValueError(f"'params' is not JSON: {exc}") from None
        if not isinstance(params, dict):
            raise ValueError("'params' must be a JSON object of PaddleX's predict parameters")
    result = pipeline.predict_one(np.ascontiguousarray(image_bgr), **params)
    return json.dumps(result.to_dict(), ensure_ascii=False)


def _one(tensor) -> bytes | None:
    if tensor is None:
        return None
    value = tensor.as_numpy().reshape(-1)[0]
    return value if isinstance(value, bytes) else str(value).encode()


class TritonPythonModel:
    def initialize(self, args):
        version_dir = Path(args["model_repository"]) / args["model_version"]
        self.pipeline = open_from_config(json.loads(args["model_config"]), version_dir)

    def execute(self, requests):
        import triton_python_backend_utils as pb_utils

        from hpi.core.errors import HpiError

        responses = []
        for request in requests:
            try:
                bgr = pb_utils.get_input_tensor_by_name(request, "image_bgr")
                text = run_request(self.pipeline, _one(pb_utils.get_input_tensor_by_name(request, "image")),
                                   None if bgr is None else bgr.as_numpy(),
                                   _one(pb_utils.get_input_tensor_by_name(request, "params")))
                out = pb_utils.Tensor("result", np.array([text.encode()], dtype=np.object_))
                responses.append(pb_utils.InferenceResponse(output_tensors=[out]))
            except (ValueError, TypeError, HpiError) as exc:
                # INVALID_ARG: HTTP 400, the client's request; older Python backends know only 500
                code = getattr(pb_utils.TritonError, "INVALID_ARG", None)
                message = f"{type(exc).__name__}: {exc}"
                error = pb_utils.TritonError(message, code) if code is not None else pb_utils.TritonError(message)
                responses.append(pb_utils.InferenceResponse(output_tensors=[], error=error))
        return responses

    def finalize(self):
        self.pipeline = None

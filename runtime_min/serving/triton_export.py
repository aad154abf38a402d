"""`hpi export triton BUNDLE -o REPOSITORY`: an NVIDIA Triton Inference Server model repository serving a bundle.

One Python-backend model runs hpi's runtime on the bundle (runtime_min/serving/triton_model.py): one artifact,
the same results as `hpi-run`, and every pipeline hpi runs, where ONNX models as Triton models would need the
pipeline's pre/post-processing (crops, box sorting, decoding) split around them in Python anyway. The repository:

    REPOSITORY/NAME/config.pbtxt        inputs, output, instances, the parameters below
    REPOSITORY/NAME/1/model.py          imports hpi.runtime_min.serving.triton_model (hpi-aot on the server)
    REPOSITORY/NAME/1/bundle.hpi        the bundle, verified here and again by each model instance
    REPOSITORY/NAME/1/trusted_keys/     the signer's public key, so the server verifies it with no other setup

The bundle is verified at export (signature under this machine's trusted keys, every member's hash); an
unsigned one only with --allow-unsigned, which the config then says, so the server never skips the check
silently. Batching is off (max_batch_size 0): hpi's pipelines take one image at a time (OCR reads a different
number of text lines per image), so a batch would be a loop inside one instance; parallelism comes from
instances instead, each its own process (the Python backend's stub) with its own copy of the models.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from hpi.core.errors import UsageError

MODEL_FILE = '''"""Triton Python-backend model written by `hpi export triton`: hpi's runtime on bundle.hpi beside this file.
Needs hpi-aot (with a backend extra, e.g. hpi-aot[cpu]) in the Python environment Triton's Python backend uses."""

from hpi.runtime_min.serving.triton_model import TritonPythonModel  # noqa: F401
'''

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def export_triton(bundle_path, repository, *, model_name: str | None = None, instances: int = 1,
                  backend: str | None = None, threads: int | None = None, trusted_keys=(),
                  allow_unsigned: bool = False, python_env=None, force: bool = False) -> Path:
    """Write the model repository; returns the model's folder. UsageError / BundleError with the fix."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from hpi.core.bundle_format import Bundle
    from hpi.core.signing import TrustStore

    bundle_path, repository = Path(bundle_path), Path(repository)
    if instances < 1:
        raise UsageError(f"--instances {instances}: give 1 or more model instances")
    if threads is not None and threads < 1:
        raise UsageError(f"--threads {threads}: give 1 or more")
    if python_env is not None and not (Path(python_env) / "bin" / "activate").is_file():
        raise UsageError(f"--python-env {python_env}: not a virtual environment (no bin/activate); give the "
                         "environment with hpi-aot installed that Triton's Python backend should run")
    trust = TrustStore.default([Path(p) for p in trusted_keys])
    bundle = Bundle.open(bundle_path, trust=trust if len(trust) else None, allow_unsigned=allow_unsigned)
    bundle.verify_members()
    name = model_name or bundle.manifest["pipeline"]["name"]
    if not _NAME.match(name):
        raise UsageError(f"model name {name!r}: use letters, digits, '_', '.', '-' (give --model-name)")
    model_dir = repository / name
    if model_dir.exists():
        if not force:
            raise UsageError(f"{model_dir} exists: give another --model-name or -o, or --force to replace it")
        shutil.rmtree(model_dir)
    version = model_dir / "1"
    version.mkdir(parents=True)
    shutil.copyfile(bundle_path, version / "bundle.hpi")
    (version / "model.py").write_text(MODEL_FILE)
    signer = None
    if bundle.signature is not None:
        signer = bundle.signature["key_id"]
        raw = trust.public_key(signer)
        if raw is None:  # signed, accepted only through allow_unsigned without any trust: refuse to pass it on
            raise UsageError(f"bundle signed by key {signer}, which is not trusted here: trust it "
                             "(`hpi-license trust FILE.pub` or --trusted-key FILE) before exporting")
        keys = version / "trusted_keys"
        keys.mkdir()
        pem = Ed25519PublicKey.from_public_bytes(raw).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        (keys / f"{signer}.pub").write_bytes(pem)
    params = {"bundle": "bundle.hpi", "trusted_keys": "trusted_keys" if signer else "",
              "allow_unsigned": "true" if signer is None else "false",
              "backend": backend or "", "threads": str(threads or "")}
    if python_env is not None:  # the Python backend activates it for the model's stub process
        params["EXECUTION_ENV_PATH"] = str(Path(python_env).resolve())
    (model_dir / "config.pbtxt").write_text(config_pbtxt(name, instances, params))
    return model_dir


def config_pbtxt(name: str, instances: int, params: dict[str, str]) -> str:
    """Triton's model configuration (protobuf text format)."""
    parameters = "\n".join(
        f'parameters: {{ key: "{k}" value: {{ string_value: {json.dumps(v)} }} }}' for k, v in params.items())
    return f'''# Written by `hpi export triton`. Inputs: "image" (the encoded file: PNG, JPEG, ...) or "image_bgr" (UINT8
# height x width x 3, BGR), and optionally "params", a JSON object of PaddleX's per-call predict parameters
# (e.g. {{"text_rec_score_thresh": 0.5}}). Output "result": PaddleX's result JSON for the image.
name: "{name}"
backend: "python"
# No batching: the pipeline takes one image at a time; add instances for parallel requests.
max_batch_size: 0
input [
  {{ name: "image" data_type: TYPE_STRING dims: [ 1 ] optional: true }},
  {{ name: "image_bgr" data_type: TYPE_UINT8 dims: [ -1, -1, 3 ] optional: true }},
  {{ name: "params" data_type: TYPE_STRING dims: [ 1 ] optional: true }}
]
output [
  {{ name: "result" data_type: TYPE_STRING dims: [ 1 ] }}
]
instance_group [ {{ count: {instances} kind: KIND_CPU }} ]
{parameters}
'''

"""`hpi export triton`: the model repository it writes, its refusals, and a real Triton Inference Server
(nvidia-pytriton 0.7.0's tritonserver 2.51, Python backend, CPU) serving the OCR bundle on loopback with the
texts and boxes `hpi-run` (open_bundle) gives on the same images."""

from __future__ import annotations

import json
import shutil
import sys

import cv2
import numpy as np
import pytest

from conftest import BIN, OCR_IMAGES, missing, needs_testdata

IMAGES = [p for p in OCR_IMAGES if p.name in ("ch_en_num.jpg", "en.jpg")]


def _hpi(*args, env=None):
    import subprocess

    return subprocess.run([str(BIN / "hpi"), *map(str, args)], capture_output=True, text=True, env=env)


def test_export_writes_repository(ocr_bundle, tmp_path, monkeypatch):
    proc = _hpi("export", "triton", ocr_bundle, "-o", tmp_path / "repo", "--instances", "2", "--threads", "1")
    assert proc.returncode == 0, proc.stderr
    model = tmp_path / "repo" / "OCR"
    version = model / "1"
    assert (version / "bundle.hpi").read_bytes() == ocr_bundle.read_bytes()
    assert "from hpi.runtime_min.serving.triton_model import TritonPythonModel" in (version / "model.py").read_text()
    keys = list((version / "trusted_keys").glob("*.pub"))
    assert len(keys) == 1
    config = (model / "config.pbtxt").read_text()
    for line in ('name: "OCR"', 'backend: "python"', "max_batch_size: 0", "count: 2 kind: KIND_CPU",
                 'key: "trusted_keys" value: { string_value: "trusted_keys" }',
                 'key: "allow_unsigned" value: { string_value: "false" }', 'key: "threads" value: { string_value: "1" }'):
        assert line in config, line
    # The repository carries its own trust: a machine with no trusted keys opens it from there alone,
    # and without the repository's key refuses it.
    from hpi.core.errors import SignatureError
    from hpi.runtime_min.serving.triton_model import open_from_config

    with monkeypatch.context() as env:
        env.setenv("HPI_CONFIG_DIR", str(tmp_path / "server-config"))
        env.delenv("HPI_TRUSTED_KEYS", raising=False)
        params = {k: {"string_value": v} for k, v in
                  [("bundle", "bundle.hpi"), ("trusted_keys", "trusted_keys"), ("allow_unsigned", "false")]}
        assert open_from_config({"parameters": params}, version) is not None
        params["trusted_keys"] = {"string_value": ""}
        with pytest.raises(SignatureError):
            open_from_config({"parameters": params}, version)

    again = _hpi("export", "triton", ocr_bundle, "-o", tmp_path / "repo")
    assert again.returncode == 2 and "--force" in again.stderr
    assert _hpi("export", "triton", ocr_bundle, "-o", tmp_path / "repo", "--force").returncode == 0


def test_export_refusals(ocr_bundle, tmp_path):
    import os

    untrusted = {**os.environ, "HPI_CONFIG_DIR": str(tmp_path / "empty-config")}
    proc = _hpi("export", "triton", ocr_bundle, "-o", tmp_path / "r1", env=untrusted)
    assert proc.returncode == 4 and "trust" in proc.stderr and not (tmp_path / "r1").exists()
    proc = _hpi("export", "triton", ocr_bundle, "-o", tmp_path / "r2", "--instances", "0")
    assert proc.returncode == 2 and "--instances" in proc.stderr
    proc = _hpi("export", "triton", ocr_bundle, "-o", tmp_path / "r3", "--python-env", tmp_path)
    assert proc.returncode == 2 and "bin/activate" in proc.stderr
    proc = _hpi("export", "triton", ocr_bundle, "-o", tmp_path / "r4", "--model-name", "a b")
    assert proc.returncode == 2 and "model name" in proc.stderr


def test_run_request_errors(ocr_bundle):
    from hpi.runtime_min.api import open_bundle
    from hpi.runtime_min.serving.triton_model import run_request

    pipeline = open_bundle(ocr_bundle)
    with pytest.raises(ValueError, match="exactly one"):
        run_request(pipeline, None, None, None)
    with pytest.raises(ValueError, match="Invalid image"):
        run_request(pipeline, b"not an image", None, None)
    with pytest.raises(ValueError, match="JSON object"):
        run_request(pipeline, None, np.zeros((32, 32, 3), np.uint8), b"[1]")


@needs_testdata(IMAGES)
def test_triton_serves_bundle_as_hpi_run(ocr_bundle, tmp_path):
    """A real tritonserver: two OCR images over HTTP with tritonclient give hpi-run's texts and boxes; a bad
    request gets 400 with the reason while the model keeps serving; the server is stopped in all cases."""
    import triton_tools

    try:
        env = triton_tools.stub_env()
        triton_tools.server_dir()
        sys.path.append(str(triton_tools.client_dir()))  # appended: the dev env's numpy stays first
    except triton_tools.ToolsMissing as exc:
        missing(f"Triton tools unavailable: {exc}")
    import tritonclient.http as triton_http
    from tritonclient.utils import InferenceServerException

    from hpi.runtime_min.api import open_bundle

    repo = tmp_path / "repo"
    proc = _hpi("export", "triton", ocr_bundle, "-o", repo, "--model-name", "ocr", "--python-env", env)
    assert proc.returncode == 0, proc.stderr
    pipeline = open_bundle(ocr_bundle)
    expected = {p.name: pipeline.predict_one(cv2.imread(str(p))).to_dict() for p in IMAGES}
    # The server's machine trusts no key of its own: the repository's trusted_keys must suffice.
    no_trust = {"HPI_CONFIG_DIR": str(tmp_path / "server-config"), "HPI_TRUSTED_KEYS": ""}
    try:
        with triton_tools.tritonserver(repo, tmp_path / "tritonserver.log", no_trust) as url:
            client = triton_http.InferenceServerClient(url)
            for path in IMAGES:
                image = triton_http.InferInput("image", [1], "BYTES")
                image.set_data_from_numpy(np.array([path.read_bytes()], dtype=np.object_))
                got = json.loads(client.infer("ocr", [image]).as_numpy("result")[0])
                assert got["rec_texts"] == expected[path.name]["rec_texts"], path.name
                assert got["rec_boxes"] == expected[path.name]["rec_boxes"], path.name
            assert any(expected[p.name]["rec_texts"] for p in IMAGES)  # the images do hold text
            bad = triton_http.InferInput("image", [1], "BYTES")
            bad.set_data_from_numpy(np.array([b"not an image"], dtype=np.object_))
            with pytest.raises(InferenceServerException, match="Invalid image") as err:
                client.infer("ocr", [bad])
            assert err.value.status() in ("400", 400)
            assert client.is_model_ready("ocr")
    except RuntimeError as exc:  # it did not start: say why, with its log
        shutil.copyfile(tmp_path / "tritonserver.log", tmp_path / "kept.log")
        pytest.fail(f"{exc}", pytrace=False)

"""A plain install behaves like the tested one: the wheel, in a fresh venv with only the OpenVINO extra
and no constraints file, gives PaddleX's texts on every OCR test image, and its hpi-license works.

What a user does: `python -m build`, `pip install 'hpi_aot-*.whl[openvino]'`, `hpi-license trust`,
`hpi-run`. Needs PyPI (or the machine's package mirror) for the venv's dependencies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import OCR_IMAGES, REPO, TESTDATA, needs_testdata

pytestmark = [pytest.mark.slow, needs_testdata()]


def _run(*cmd, env=None, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env)
    if check:
        assert proc.returncode == 0, f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def runtime_venv(tmp_path_factory):
    """The wheel built by `python -m build`, installed with only its openvino extra into a new venv."""
    work = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "build", "--wheel", "--outdir", work / "dist", REPO)
    wheel = next((work / "dist").glob("hpi_aot-*.whl"))
    _run(sys.executable, "-m", "venv", work / "venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_CONSTRAINT")}
    _run(work / "venv/bin/python", "-m", "pip", "install", "-q", f"{wheel}[openvino]", env=env)
    return work / "venv/bin"


def test_the_runtime_install_has_no_compiler(runtime_venv):
    listed = _run(runtime_venv / "python", "-m", "pip", "list", "--format=json").stdout
    names = {p["name"].lower() for p in json.loads(listed)}
    assert "hpi-aot" in names and "openvino" in names
    assert not names & {"paddlepaddle", "paddle2onnx", "onnx", "typer", "onnxruntime"}, names


def test_wheel_venv_gives_paddlex_texts_on_every_image(runtime_venv, ocr_bundle, hpi_config, tmp_path,
                                                        paddlex_ocr_reference):
    env = {**os.environ, "HPI_CONFIG_DIR": str(tmp_path / "config")}
    env.pop("HPI_TRUSTED_KEYS", None)
    signer = next(hpi_config.glob("*.pub"))
    trusted = _run(runtime_venv / "hpi-license", "trust", signer, env=env)
    assert "trusted as" in trusted.stderr
    out = tmp_path / "out"
    run = _run(runtime_venv / "hpi-run", ocr_bundle, "--input", TESTDATA / "ocr", "--output", out, "-q", env=env)
    assert "results may differ" not in run.stderr  # the venv has the versions the bundle was verified with
    mismatches = []
    for image in OCR_IMAGES:
        ours = json.loads((out / f"{image.stem}_res.json").read_text(encoding="utf-8"))["rec_texts"]
        theirs = paddlex_ocr_reference[image.name]["rec_texts"]
        if ours != theirs:
            mismatches.append(f"{image.name}: {ours} != PaddleX's {theirs}")
    assert not mismatches, "\n".join(mismatches)


def test_wheel_venv_names_the_extras_it_lacks(runtime_venv, tmp_path):
    env = {**os.environ, "HPI_CONFIG_DIR": str(tmp_path / "config")}
    proc = _run(runtime_venv / "hpi-compile", "OCR.yaml", env=env, check=False)
    assert proc.returncode == 2 and "pip install 'hpi-aot[compiler]'" in proc.stderr
    proc = _run(runtime_venv / "hpi-license", "new-serials", "--product", "x", env=env, check=False)
    assert proc.returncode == 2 and "pip install 'hpi-aot[server]'" in proc.stderr

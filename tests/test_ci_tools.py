"""CI tools on the real PP-OCRv4 bundle: --report/--json, hpi inspect, verify --self-test, diff."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from conftest import REPO, compile_cli
from hpi.compiler.tools_cli import main as hpi

pytestmark = pytest.mark.slow
SCHEMA = json.loads((REPO / "docs" / "compile-report.schema.json").read_text())


def run(capsys, *args):
    code = hpi([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_report_and_json_output_follow_the_schema(models_dir, tmp_path, capsys):
    report = tmp_path / "report.json"
    code = compile_cli(models_dir / "OCR.yaml", "--output", tmp_path / "ocr.hpi", "--report", report, "--json")
    out = capsys.readouterr().out
    assert code == 0
    printed, written = json.loads(out), json.loads(report.read_text())
    for data in (printed, written):
        jsonschema.validate(data, SCHEMA)
    assert written["status"] == "ok" and set(written["models"]) == {"text_det", "text_rec"}
    rec = written["models"]["text_rec"]
    assert {a["format"] for a in rec["artifacts"]} == {"onnx", "openvino_ir"}
    assert all(b["passed"] for b in rec["verification"]["backends"].values())
    assert written["bundle"]["size"] == (tmp_path / "ocr.hpi").stat().st_size


def test_failed_compile_still_writes_a_report(models_dir, tmp_path, capsys):
    report = tmp_path / "report.json"
    code = compile_cli(models_dir / "PP-OCRv4_mobile_rec", "--output", tmp_path / "x.hpi", "--report", report,
                       "--quiet", "--target", "gpu_cuda99")
    data = json.loads(report.read_text())
    jsonschema.validate(data, SCHEMA)
    assert code == 2 and data["status"] == "error" and data["error"]["exit_code"] == 2
    assert "unknown target 'gpu_cuda99'" in data["error"]["message"]


def test_inspect_human_and_json(ocr_bundle, capsys):
    code, out, _ = run(capsys, "inspect", ocr_bundle)
    assert code == 0
    assert "OCR pipeline" in out and "signature   valid" in out and "license     none required" in out
    assert "profile   x: min [1, 3, 32, 32] opt [1, 3, 736, 736] max [1, 3, 4000, 4000]" in out
    assert "artifact  cpu openvino_ir fp32" in out
    code, out, _ = run(capsys, "inspect", ocr_bundle, "--json")
    info = json.loads(out)
    assert info["signature"]["status"] == "valid"
    assert info["models"]["text_rec"]["model_name"] == "PP-OCRv4_mobile_rec"


def test_verify_self_test_passes_on_every_backend(ocr_bundle, capsys):
    code, out, _ = run(capsys, "verify", ocr_bundle, "--self-test", "--json")
    report = json.loads(out)
    assert code == 0 and report["self_test"]["passed"]
    assert set(report["self_test"]["backends"]) == {"openvino", "onnxruntime"}


def _rebuilt_with(bundle_path: Path, out: Path, edit_member) -> Path:
    """The same bundle with one member changed, re-signed with the test's trusted key."""
    from hpi.core.bundle_format import write_bundle
    from hpi.core.signing import TrustStore, default_signing_key_path, load_private_key
    from hpi.core.bundle_format import Bundle

    bundle = Bundle.open(bundle_path, trust=TrustStore.default())
    members = {name: bytes(bundle.read(name)) for name in bundle.members}
    name, data = edit_member(bundle, members)
    members[name] = data
    manifest = {k: v for k, v in bundle.manifest.items() if k not in ("schema", "members")}
    write_bundle(out, manifest, members, load_private_key(default_signing_key_path()))
    return out


def test_self_test_fails_clearly_when_outputs_differ(ocr_bundle, tmp_path, capsys):
    def skew_golden(bundle, members):
        name = bundle.manifest["models"]["text_rec"]["golden"]["outputs"][0]
        buf = io.BytesIO()
        np.save(buf, bundle.read_array(name) + 0.01, allow_pickle=False)
        return name, buf.getvalue()

    altered = _rebuilt_with(ocr_bundle, tmp_path / "altered.hpi", skew_golden)
    code, out, err = run(capsys, "verify", altered)
    assert code == 0  # signature and hashes are fine: it is a validly signed bundle
    code, out, err = run(capsys, "verify", altered, "--self-test")
    assert code == 7
    assert "self-test openvino: FAILED" in out and "text_rec: output" in out and "max abs diff 0.01" in out
    assert "self-test failed on openvino, onnxruntime" in err


def test_diff_reports_what_changed(ocr_bundle, models_dir, tmp_path, capsys):
    code, out, _ = run(capsys, "diff", ocr_bundle, ocr_bundle)
    assert code == 0 and "equivalent" in out
    other = tmp_path / "other.hpi"
    config = (models_dir / "OCR.yaml").read_text().replace("unclip_ratio: 2.0", "unclip_ratio: 1.6")
    (models_dir / "OCR-unclip.yaml").write_text(config)
    assert compile_cli(models_dir / "OCR-unclip.yaml", "--output", other, "--quiet") == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "diff", ocr_bundle, other, "--json")
    changes = {c["path"]: c for c in json.loads(out)["changes"]}
    assert code == 1
    assert changes["pipeline.params.text_det_unclip_ratio"] == {
        "path": "pipeline.params.text_det_unclip_ratio", "change": "changed", "old": 2.0, "new": 1.6}
    assert not any(p.startswith("models.text_rec.artifacts") for p in changes)  # same rec model


def test_tampered_bundle_fails_verify(ocr_bundle, tmp_path, capsys):
    raw = bytearray(ocr_bundle.read_bytes())
    raw[-10] ^= 0xFF
    (tmp_path / "bad.hpi").write_bytes(raw)
    code, out, err = run(capsys, "verify", tmp_path / "bad.hpi")
    assert code == 3 and "does not match its sha256" in err

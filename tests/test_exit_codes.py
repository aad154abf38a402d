"""Exit codes: README.md's table is the error classes' table, and each row is what the CLIs return.

Rows tested here through hpi-run / hpi / hpi-compile; the others where their condition is built:
1 and 7 in tests/test_ci_tools.py (diff, self-test), 10 in tests/compiler/test_source_errors.py,
11 in tests/compiler/test_repair.py, 20-29 in tests/licensing/ (each raises its class, whose code is
the one in the table).
"""

from __future__ import annotations

import importlib.util
import shutil

import pytest

from conftest import REPO, compile_cli
from hpi.core.errors import exit_code_table


def test_readme_table_is_the_error_classes_table():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert exit_code_table() in readme, (
        "README.md's exit-code table differs from core/errors.py; paste the output of "
        "python -c 'from hpi.core.errors import exit_code_table; print(exit_code_table())'")


def _hpi_run(capsys, *args) -> tuple[int, str]:
    from hpi.runtime_min.cli import main

    code = main([str(a) for a in args])
    return code, " ".join(capsys.readouterr().err.split())


def test_0_done(ocr_bundle, text_image, capsys):
    assert _hpi_run(capsys, ocr_bundle, "-i", text_image, "-q")[0] == 0


@pytest.mark.parametrize("case", ["missing bundle", "folder as bundle", "unknown backend", "missing option",
                                  "missing trusted key file"])
def test_2_usage(case, ocr_bundle, text_image, tmp_path, capsys):
    args = {"missing bundle": (tmp_path / "nope.hpi", "-i", text_image),
            "folder as bundle": (tmp_path, "-i", text_image),
            "unknown backend": (ocr_bundle, "-i", text_image, "--backend", "tensorflow"),
            "missing trusted key file": (ocr_bundle, "-i", text_image, "--trusted-key", tmp_path / "k.pub")}
    if case == "missing option":
        with pytest.raises(SystemExit) as exc:  # argparse exits 2 itself
            _hpi_run(capsys, ocr_bundle)
        assert exc.value.code == 2
        return
    code, err = _hpi_run(capsys, *args[case])
    assert code == 2, err
    assert err.count("\n") == 0 and err.startswith("hpi-run: error: ")


def test_2_compile_missing_source(tmp_path, capsys):
    assert compile_cli(tmp_path / "nope.yaml", "-o", tmp_path / "x.hpi") == 2


def test_3_truncated_bundle(ocr_bundle, text_image, tmp_path, capsys):
    cut = tmp_path / "cut.hpi"
    cut.write_bytes(ocr_bundle.read_bytes()[:4096])
    code, err = _hpi_run(capsys, cut, "-i", text_image)
    assert code == 3, err


def test_4_untrusted_signer_names_the_fix(ocr_bundle, text_image, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HPI_CONFIG_DIR", str(tmp_path / "empty-config"))  # nothing trusted here
    monkeypatch.delenv("HPI_TRUSTED_KEYS", raising=False)
    code, err = _hpi_run(capsys, ocr_bundle, "-i", text_image)
    assert code == 4 and "hpi-license trust FILE.pub" in err, err


@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is not None, reason="TensorRT is installed here")
def test_5_backend_not_installed(ocr_bundle, text_image, capsys):
    code, err = _hpi_run(capsys, ocr_bundle, "-i", text_image, "--backend", "tensorrt")
    assert code == 5 and "tensorrt" in err, err


def test_6_every_input_failed(ocr_bundle, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not an image")
    code, err = _hpi_run(capsys, ocr_bundle, "-i", tmp_path / "notes.txt", tmp_path / "missing.png")
    assert code == 6, err


def test_2_hpi_verify_missing_bundle(tmp_path, capsys):
    from hpi.compiler.tools_cli import main

    assert main(["verify", str(tmp_path / "nope.hpi")]) == 2


def test_3_hpi_verify_tampered(ocr_bundle, tmp_path, capsys):
    from hpi.compiler.tools_cli import main

    bad = tmp_path / "bad.hpi"
    shutil.copyfile(ocr_bundle, bad)
    raw = bytearray(bad.read_bytes())
    raw[-10] ^= 0xFF
    bad.write_bytes(raw)
    assert main(["verify", str(bad)]) == 3

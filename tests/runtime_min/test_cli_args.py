"""The deployment commands' shared options (runtime_min/cli_args.py): one spelling and arity everywhere."""

from __future__ import annotations

import pytest

from hpi.compiler.tools_cli import _parser as hpi_parser
from hpi.runtime_min.cli import _parser as run_parser
from hpi.runtime_min.cli import main as hpi_run


def test_trust_and_run_options_parse_alike_in_every_command():
    trust = ["--trusted-key", "a.pub", "--trusted-key", "keys/"]
    run = run_parser().parse_args(["b.hpi", "-i", "x.jpg", *trust, "--allow-unsigned", "--backend", "openvino",
                                   "--threads", "2"])
    verify = hpi_parser().parse_args(["verify", "b.hpi", *trust, "--allow-unsigned", "--backend", "openvino",
                                      "--backend", "onnxruntime", "--threads", "2"])
    inspect = hpi_parser().parse_args(["inspect", "b.hpi", *trust])
    assert run.trusted_key == verify.trusted_key == inspect.trusted_key == ["a.pub", "keys/"]
    assert run.allow_unsigned and verify.allow_unsigned and run.threads == verify.threads == 2
    assert run.backend == ["openvino"] and verify.backend == ["openvino", "onnxruntime"]
    assert run.device == "auto"


def test_hpi_run_refuses_two_backends_in_one_line(tmp_path, capsys):
    code = hpi_run([str(tmp_path / "b.hpi"), "-i", "x.jpg", "--backend", "openvino", "--backend", "onnxruntime"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("hpi-run: error: --backend given 2 times") and "give --backend once" in err


@pytest.mark.parametrize("argv", [["inspect", "b.hpi", "--allow-unsigned"], ["verify", "b.hpi", "--device", "gpu"]])
def test_options_a_command_does_not_take_are_refused(argv):
    with pytest.raises(SystemExit) as exc:
        hpi_parser().parse_args(argv)
    assert exc.value.code == 2

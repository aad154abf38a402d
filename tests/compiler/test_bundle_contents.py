"""What goes into a bundle: `--cpu-backend` keeps only the chosen CPU backends' artifacts, the golden case is
the smallest profile corner unless asked otherwise, and `hpi inspect` shows what each member weighs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, compile_cli

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_classification_model import make_model  # noqa: E402

pytestmark = pytest.mark.slow  # each compile runs Paddle, paddle2onnx and both backends (seconds)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("cls") / "PP-LCNet_x1_0")


def _compile(model_dir: Path, out: Path, *extra) -> "Bundle":
    from hpi.core.bundle_format import Bundle

    assert compile_cli(model_dir, "--output", out, "--quiet", "--no-cache", *extra) == 0
    return Bundle.open(out, trust=None, allow_unsigned=True)


@pytest.fixture(scope="module")
def default_bundle(model_dir, tmp_path_factory):
    return _compile(model_dir, tmp_path_factory.mktemp("b") / "default.hpi")


def _entry(bundle) -> dict:
    (entry,) = bundle.manifest["models"].values()
    return entry


def test_default_ships_both_cpu_backends_and_says_so(default_bundle):
    entry = _entry(default_bundle)
    assert [a["format"] for a in entry["artifacts"]] == ["onnx", "openvino_ir"]
    assert default_bundle.manifest["compile_options"]["cpu_backends"] == ["onnxruntime", "openvino"]
    assert set(entry["verification"]["backends"]) == {"onnxruntime", "openvino"}


def test_openvino_only_leaves_the_onnx_out(model_dir, tmp_path):
    from hpi.runtime_min.bundle_tools import self_test

    bundle = _compile(model_dir, tmp_path / "ov.hpi", "--cpu-backend", "openvino")
    entry = _entry(bundle)
    assert [a["format"] for a in entry["artifacts"]] == ["openvino_ir"]
    assert not [n for n in bundle.members if n.endswith(".onnx")]
    assert bundle.manifest["compile_options"]["cpu_backends"] == ["openvino"]
    assert bundle.manifest["backend_preference"] == {"cpu": ["openvino"]}
    assert set(entry["verification"]["backends"]) == {"openvino"}  # what ships is what was verified
    assert self_test(bundle)["passed"]
    asked = self_test(bundle, ["onnxruntime"])["backends"]["onnxruntime"]
    assert not asked["passed"] and "onnxruntime" in asked["error"]


def test_comma_list_is_the_same_as_repeating(model_dir, default_bundle, tmp_path):
    both = _compile(model_dir, tmp_path / "both.hpi", "--cpu-backend", "openvino,onnxruntime")
    assert both.path.read_bytes() == default_bundle.path.read_bytes()


def test_gpu_target_keeps_the_onnx_it_runs(model_dir, tmp_path):
    bundle = _compile(model_dir, tmp_path / "gpu.hpi", "--target", "cpu", "--target", "gpu_cuda13",
                      "--tensorrt", "off", "--cpu-backend", "openvino")
    by_target = {}
    for a in _entry(bundle)["artifacts"]:
        by_target.setdefault(a["target"], []).append(a["format"])
    assert by_target == {"cpu": ["openvino_ir"], "gpu_cuda13": ["onnx", "torch_onnx"]}
    assert any(n.endswith("model.onnx") for n in bundle.members)
    # the ONNX the GPU runs was verified here on ONNX Runtime CPU, though the cpu target does not ship it
    assert set(_entry(bundle)["verification"]["backends"]) == {"onnxruntime", "openvino"}


@pytest.mark.parametrize("args, expected", [
    (["--cpu-backend", "tensorrt"], "unknown --cpu-backend 'tensorrt'"),
    (["--target", "gpu_cuda13", "--tensorrt", "off", "--cpu-backend", "openvino"], "add --target cpu"),
    (["--golden-case", "median"], "unknown --golden-case 'median'"),
])
def test_bad_choices_are_usage_errors(model_dir, tmp_path, capsys, args, expected):
    assert compile_cli(model_dir, "--output", tmp_path / "x.hpi", "--quiet", *args) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "x.hpi").exists()


def test_golden_case_is_the_smallest_corner(default_bundle):
    golden = _entry(default_bundle)["golden"]
    assert golden["case"] == "min"
    (member,) = golden["inputs"].values()
    assert list(default_bundle.read_array(member).shape) == _entry(default_bundle)["shape_profile"]["x"]["min"]
    golden_bytes = sum(m.size for n, m in default_bundle.members.items() if n.startswith("golden/"))
    assert golden_bytes < 1.5 * np.prod([1, 3, 224, 224]) * 4  # one image in, its scores out


def test_golden_case_can_be_chosen(model_dir, tmp_path):
    bundle = _compile(model_dir, tmp_path / "max.hpi", "--golden-case", "max")
    golden = _entry(bundle)["golden"]
    assert golden["case"] == "max" and bundle.manifest["compile_options"]["golden_case"] == "max"
    assert bundle.read_array(golden["inputs"]["x"]).shape[0] == 8


def test_inspect_shows_every_member_size(default_bundle, capsys):
    from hpi.compiler.tools_cli import main

    assert main(["inspect", str(default_bundle.path), "--json"]) == 0
    sizes = json.loads(capsys.readouterr().out)["member_bytes"]
    assert sizes == {n: m.size for n, m in default_bundle.members.items()}
    assert main(["inspect", str(default_bundle.path)]) == 0
    text = capsys.readouterr().out
    for name in sizes:
        assert any(line.startswith("  member") and line.endswith(name) for line in text.splitlines()), name

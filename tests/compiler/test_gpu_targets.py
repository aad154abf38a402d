"""GPU targets without a GPU: the TensorRT mode check, the
manifest entries of a `--target cpu --target gpu_cuda13` bundle, and how the runtime picks (and
explains) a target on a machine that cannot run the GPU one. tests/gpu runs the GPU backends for real;
tests/runtime_min/backends/test_tensorrt_engine.py tests the engine helpers (profiles, keys, fallback)."""

from __future__ import annotations

import importlib.util
import json
from types import SimpleNamespace

import pytest

from conftest import compile_cli
from hpi.compiler import gpu
from hpi.compiler.build import CompileOptions
from hpi.recipes.ocr import TextDetectionRecipe
from hpi.core.errors import UsageError

HAS_TENSORRT = importlib.util.find_spec("tensorrt") is not None


@pytest.mark.skipif(HAS_TENSORRT, reason="TensorRT is installed here, so prebuilt engines are possible")
def test_prebuilt_engines_without_tensorrt_stop_with_the_fix():
    with pytest.raises(UsageError, match="--tensorrt on-first-run .* --tensorrt off"):
        gpu.check_tensorrt_mode(("cpu", "gpu_cuda13"), "prebuilt")
    gpu.check_tensorrt_mode(("cpu",), "prebuilt")  # nothing to build for cpu
    gpu.check_tensorrt_mode(("gpu_cuda13",), "on-first-run")
    with pytest.raises(UsageError, match="unknown --tensorrt mode"):
        gpu.check_tensorrt_mode(("gpu_cuda13",), "later")


def test_gpu_artifacts_per_tensorrt_mode():
    members = {"onnx": "models/text_det/model.onnx", "input:x": "golden/text_det/input_x.npy",
               "output:0": "golden/text_det/output_0.npy"}
    candidate = SimpleNamespace(onnx=b"onnx", outputs=["y"])
    args = ("text_det", "gpu_cuda13", candidate, members, TextDetectionRecipe.default_profile, TextDetectionRecipe, [])
    off, new = gpu.gpu_artifacts(*args, CompileOptions(targets=("gpu_cuda13",), tensorrt="off"), report=None)
    assert new == {} and [a["format"] for a in off] == ["onnx"]
    assert off[0]["members"] == {"model": "models/text_det/model.onnx"}  # the cpu target's ONNX, not a copy
    assert off[0]["config"]["provider_options"] == {"cudnn_conv_algo_search": "HEURISTIC", "use_tf32": 0}
    assert off[0]["config"]["warmup"] == [{"x": [1, 3, 736, 736]}]
    deferred, new = gpu.gpu_artifacts(*args, CompileOptions(targets=("gpu_cuda13",), tensorrt="on-first-run"),
                                      report=None)
    plan = deferred[1]
    assert new == {} and plan["format"] == "tensorrt_plan" and plan["members"] == members
    assert plan["config"]["build"] == "on_first_run" and plan["config"]["precisions"] == ["fp16", "fp16_mixed", "fp32"]
    assert plan["config"]["tolerances"]["fp16"] == {"atol": 1e-2, "rtol": 0.0}
    assert plan["config"]["tolerances"]["fp32"] == TextDetectionRecipe.tolerance.to_dict()
    assert plan["config"]["profile"]["x"]["max"] == [1, 3, 4000, 4000]


@pytest.fixture(scope="module")
def gpu_bundle(hpi_config, models_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu") / "det.hpi"
    assert compile_cli(models_dir / "PP-OCRv4_mobile_det", "-o", out, "-q", "--target", "cpu",
                       "--target", "gpu_cuda13", "--tensorrt", "on-first-run") == 0
    return out


def _open(path):
    from hpi.core.signing import TrustStore
    from hpi.core.bundle_format import Bundle

    return Bundle.open(path, trust=TrustStore.default())


@pytest.mark.slow
def test_one_bundle_for_cpu_and_gpu(gpu_bundle):
    manifest = _open(gpu_bundle).manifest
    assert manifest["targets"] == ["cpu", "gpu_cuda13"]
    assert manifest["backend_preference"] == {"cpu": ["openvino", "onnxruntime"],
                                              "gpu_cuda13": ["torch_cuda", "tensorrt", "onnxruntime"]}
    artifacts = {(a["target"], a["format"]): a for a in manifest["models"]["text_detection"]["artifacts"]}
    assert set(artifacts) == {("cpu", "onnx"), ("cpu", "openvino_ir"), ("gpu_cuda13", "onnx"),
                              ("gpu_cuda13", "tensorrt_plan"), ("gpu_cuda13", "torch_onnx")}
    assert artifacts["gpu_cuda13", "onnx"]["members"] == artifacts["cpu", "onnx"]["members"]
    assert manifest["compile_options"]["tensorrt"] == "on-first-run"


@pytest.mark.slow
def test_runtime_on_a_machine_without_gpu_backends(gpu_bundle, text_image, capsys):
    from hpi.runtime_min import open_bundle
    from hpi.runtime_min.cli import main as hpi_run
    from hpi.core.errors import BackendUnavailable

    if not (HAS_TENSORRT or importlib.util.find_spec("onnxruntime")):
        pytest.skip("onnxruntime is not installed")
    from hpi.runtime_min.backends.onnxruntime import OnnxRuntimeBackend

    if OnnxRuntimeBackend.unavailable_on("gpu") is None or HAS_TENSORRT:
        pytest.skip("this machine has a GPU backend")
    pipeline = open_bundle(gpu_bundle)  # auto: the GPU target is passed over, with the reasons
    assert pipeline.target == "cpu"
    assert any(n.startswith("tensorrt on gpu_cuda13: ") for n in pipeline.notes)
    assert any("no CUDA execution provider" in n for n in pipeline.notes)
    with pytest.raises(BackendUnavailable, match="no backend here can run this bundle"):
        open_bundle(gpu_bundle, device="gpu")
    capsys.readouterr()
    assert hpi_run([str(gpu_bundle), "-i", str(text_image), "--device", "gpu", "-q"]) == 5
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hpi-run: error: no backend here can run this bundle")
    assert hpi_run([str(gpu_bundle), "-i", str(text_image), "-q"]) == 0
    err = capsys.readouterr().err
    assert "on cpu (model: openvino fp32)" in err and "not using onnxruntime on gpu_cuda13" in err


@pytest.mark.slow
def test_self_test_covers_each_runnable_target(gpu_bundle):
    from hpi.runtime_min.bundle_tools import self_test

    report = self_test(_open(gpu_bundle))
    assert report["passed"], json.dumps(report)
    assert {"openvino", "onnxruntime"} <= set(report["backends"])

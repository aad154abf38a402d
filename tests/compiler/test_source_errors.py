"""hpi-compile refuses bad sources with one clear line and the compile exit code; nothing is written."""

from __future__ import annotations

import shutil

import pytest
import yaml

from conftest import compile_cli


@pytest.fixture
def det_dir(models_dir, tmp_path):
    target = tmp_path / "det"
    shutil.copytree(models_dir / "PP-OCRv4_mobile_det", target)
    return target


def _compile(capsys, source, tmp_path):
    out = tmp_path / "out.hpi"
    code = compile_cli(source, "--output", out, "--quiet")
    err = capsys.readouterr().err
    assert not out.exists()
    return code, " ".join(err.split())


def test_missing_dir(tmp_path, capsys, hpi_config):
    code, err = _compile(capsys, tmp_path / "nope", tmp_path)
    assert code == 2 and "not found" in err


def test_missing_inference_yml(det_dir, tmp_path, capsys, hpi_config):
    (det_dir / "inference.yml").unlink()
    code, err = _compile(capsys, det_dir, tmp_path)
    assert code == 10 and "has no inference.yml" in err


def test_missing_params(det_dir, tmp_path, capsys, hpi_config):
    (det_dir / "inference.pdiparams").unlink()
    code, err = _compile(capsys, det_dir, tmp_path)
    assert code == 10 and "no inference.pdiparams" in err


def test_unknown_model_family(det_dir, tmp_path, capsys, hpi_config):
    config = yaml.safe_load((det_dir / "inference.yml").read_text())
    config["Global"]["model_name"] = "SuperNet-X"
    (det_dir / "inference.yml").write_text(yaml.safe_dump(config))
    code, err = _compile(capsys, det_dir, tmp_path)
    assert code == 10 and "unknown model 'SuperNet-X'" in err and "PP-OCRv4_mobile_det" in err


def test_corrupt_model_file(det_dir, tmp_path, capsys, hpi_config):
    (det_dir / "inference.pdmodel").write_bytes(b"\x00garbage" * 100)
    code, err = _compile(capsys, det_dir, tmp_path)
    assert code == 10 and "Paddle cannot load" in err


def test_broken_pipeline_configs(models_dir, tmp_path, capsys, hpi_config, monkeypatch):
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("pipeline_name: [unclosed")
    code, err = _compile(capsys, bad_yaml, tmp_path)
    assert code == 10 and "cannot read pipeline config" in err

    config = yaml.safe_load((models_dir / "OCR.yaml").read_text())
    unknown = dict(config, pipeline_name="SealRecognition")
    (tmp_path / "unknown.yaml").write_text(yaml.safe_dump(unknown))
    code, err = _compile(capsys, tmp_path / "unknown.yaml", tmp_path)
    assert code == 10 and "unknown pipeline 'SealRecognition'" in err

    config["SubModules"]["TextRecognition"]["model_dir"] = None
    (models_dir / "no_dir.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("PADDLE_PDX_CACHE_HOME", str(tmp_path / "pdx"))
    code, err = _compile(capsys, models_dir / "no_dir.yaml", tmp_path)
    # model_dir: null is looked up in PaddleX's model cache; absent, the message names the path and the fetch
    assert code == 10 and "SubModules.TextRecognition.model_dir is null" in err, err
    assert str(tmp_path / "pdx" / "official_models" / "PP-OCRv4_mobile_rec") in err
    assert "create_model('PP-OCRv4_mobile_rec')" in err and len(err.strip().splitlines()) == 1


def test_unsupported_operator_is_named(det_dir, tmp_path, capsys, hpi_config):
    """An ONNX source with an operator no backend knows: refused, naming the operator and node."""
    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node("FancyWarp", ["x"], ["y"], name="warp_0", domain="com.example")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, None, None])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, None, None])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14), helper.make_opsetid("com.example", 1)])
    onnx.save(model, det_dir / "inference.onnx")
    for name in ("inference.pdmodel", "inference.pdiparams"):
        (det_dir / name).unlink()
    code, err = _compile(capsys, det_dir, tmp_path)
    assert code == 10 and "unsupported operator" in err and "FancyWarp" in err and "warp_0" in err

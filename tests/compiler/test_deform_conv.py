"""Beyond PaddleX's HPI: a model with deformable convolution (DCNv2, CenterNet-DLA's operator) compiles
and runs on both CPU backends with PaddleX's own results.

Why PaddleX's HPI cannot: paddle2onnx 1.3.1 stops at opset 18 and ONNX's DeformConv is opset 19
("Due to opset version, the model exporting is aborted"); paddle2onnx 2.1.0 emits DeformConv-19, which
ONNX Runtime runs but OpenVINO's ONNX frontend refuses ("No conversion rule found for operations:
DeformConv-19"). hpi's compiler tries the next converter and maps DeformConv onto OpenVINO's own
DeformableConvolution (compiler/ov_extensions.py). The model is the classification fixture with a DCNv2
layer (tests/fixtures/make_classification_model.py, legacy export so that paddle2onnx 1.3.1 is tried
first and its refusal is on record).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import REPO
from parity import MaxAbs
from vision_parity import MARKS, assert_matches, compile_bundle, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_classification_model import make_model  # noqa: E402

pytestmark = MARKS
# Worst over the 17 images, both backends, when set.
# PaddleX rounds scores to 5 decimals and so does the runtime: float noise below 1e-5 moves a score by one
# rounding step at most, so the limit is that step (the audit's scores x0.99 moves a 0.5 score by 500 steps).
TOLERANCES = {"scores": MaxAbs(1.5e-5)}  # measured 0 (OpenVINO and ONNX Runtime)


@pytest.fixture(scope="module")
def dcn_model(tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("models") / "PP-LCNet_x1_0", legacy=True, deformable=True)


@pytest.fixture(scope="module")
def dcn_bundle(hpi_config, dcn_model, tmp_path_factory) -> Path:
    return compile_bundle(dcn_model, tmp_path_factory.mktemp("bundles") / "dcn.hpi")


@pytest.fixture(scope="module")
def paddlex_results(dcn_model, tmp_path_factory) -> dict[str, dict]:
    return oracle(dcn_model, tmp_path_factory.mktemp("paddlex-dcn"))


def test_openvino_needs_the_extension(dcn_bundle, tmp_path):
    import openvino as ov

    from hpi.core.signing import TrustStore
    from hpi.core.bundle_format import Bundle

    bundle = Bundle.open(dcn_bundle, trust=TrustStore.default())
    entry = bundle.manifest["models"]["image_classification"]
    assert entry["conversion"]["converter"]["version"] == "2.1.0"
    assert any(r.startswith("paddle2onnx 1.3.1") for r in entry["verification"]["rejected_candidates"])
    onnx_path = tmp_path / "model.onnx"
    onnx_path.write_bytes(bytes(bundle.read("models/image_classification/model.onnx")))
    with pytest.raises(Exception, match="DeformConv"):  # what PaddleX's OpenVINO path runs into
        ov.convert_model(str(onnx_path))


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_deformable_model_matches_paddlex(dcn_bundle, paddlex_results, backend):
    case = f"image_classification deformable/{backend}"
    print(f"{case}: worst {assert_matches(dcn_bundle, paddlex_results, backend, TOLERANCES, case)}")

"""Parity with PaddleX for a per-call `use_textline_orientation=False` on the pipeline that has the text line
orientation model (OCR-textline.yaml): the model is not run, angles are -1, `model_settings` says False."""

from __future__ import annotations

import pytest

from conftest import OCR_IMAGES, ORACLE_PYTHON, compile_cli, needs_testdata
from ocr_parity import compare_ocr, paddlex_ocr_results

pytestmark = [
    pytest.mark.slow,
    needs_testdata(),
    pytest.mark.skipif(not ORACLE_PYTHON.exists(), reason="PaddleX oracle env missing: run scripts/setup.sh"),
]


@pytest.fixture(scope="module")
def textline_bundle(hpi_config, models_dir, calibration_images, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundles") / "ocr-textline.hpi"
    calib = [a for p in calibration_images for a in ("--calibration-images", p)]
    assert compile_cli(models_dir / "OCR-textline.yaml", "--output", out, "--quiet", *calib) == 0
    return out


def test_per_call_use_textline_orientation_false_matches_paddlex(textline_bundle, models_dir, tmp_path_factory):
    from hpi.runtime_min import open_bundle

    call = {"use_textline_orientation": False}
    theirs = paddlex_ocr_results(models_dir / "OCR-textline.yaml", tmp_path_factory.mktemp("paddlex-noline"), call)
    pipeline = open_bundle(textline_bundle, backend="openvino")
    mismatches = []
    for result in pipeline.predict([str(i) for i in OCR_IMAGES], **call):
        name = result.input_path.rsplit("/", 1)[1]
        mismatches += compare_ocr(name, result.to_dict(), theirs[name],
                                  ("rec_texts", "textline_orientation_angles", "model_settings"))[0]
    assert not mismatches, "\n".join(mismatches)
    assert not any(r["model_settings"]["use_textline_orientation"] for r in theirs.values())
    # The bundle's own setting is untouched by the call.
    assert pipeline.predict_one(str(OCR_IMAGES[0])).to_dict()["model_settings"]["use_textline_orientation"] is True

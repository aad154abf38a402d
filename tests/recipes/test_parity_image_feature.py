"""Parity with PaddleX itself for image and face feature (embedding) models: `create_model(...).predict`
and the bundle.

The models are fixtures from tests/fixtures/make_image_feature_model.py (resnet18 + PaddleClas's
Linear/BatchNorm embedding neck, seeded random weights, PIR `inference.json`), one per inference.yml
form: PP-ShiTuV2_rec (224x224, ImageNet normalisation, 512 values) and MobileFaceNet (112x112,
mean/std 0.5, 128 values). PaddleX 3.7.2 runs each in .venv-oracle through tests/oracle/paddlex_model.py.
On every image in ../shared/testdata/vision both CPU backends must give PaddleX's JSON keys and form
(`feature` = [[...]], unit length) and its embedding within TOLERANCES (1 - cosine, and element by
element). The fixture's
embeddings of different images are far apart (the test checks it), so a pre-processing slip shows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from parity import MaxAbs, OneMinusCosine, compare, report
from vision_parity import IMAGES, MARKS, compile_bundle, open_fp32, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_image_feature_model import make_model  # noqa: E402

PARITY_FAMILIES = ("image_feature",)
# The model names this module compiles (tests/recipes/test_recipes_covered.py reads them).
COMPILED_MODELS = ("MobileFaceNet", "PP-ShiTuV2_rec")  # each a fixture of make_image_feature_model.MODELS
# Worst over the 17 images, both fixtures, both backends, when set; the limits are about 10x that.
TOLERANCES = {"feature": (OneMinusCosine(3e-10),  # measured 2.7e-11 (MobileFaceNet, ONNX Runtime), 2.4e-11 (PP-ShiTuV2_rec)
                          MaxAbs(2.5e-5))}  # per element of the unit embedding; measured 2.3e-6 / 1.1e-6

pytestmark = MARKS


@pytest.fixture(scope="module", params=COMPILED_MODELS)
def feature_model(request, tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("models") / request.param, request.param)


@pytest.fixture(scope="module")
def feature_bundle(hpi_config, feature_model, tmp_path_factory) -> Path:
    return compile_bundle(feature_model, tmp_path_factory.mktemp("bundles") / "feature.hpi")


@pytest.fixture(scope="module")
def paddlex_results(feature_model, tmp_path_factory) -> dict[str, dict]:
    return oracle(feature_model, tmp_path_factory.mktemp("paddlex-feature"))


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_image_feature_matches_paddlex_on_every_image(feature_bundle, paddlex_results, backend):
    model = open_fp32(feature_bundle, backend)
    (family, entry), = model.bundle.manifest["models"].items()
    mismatches, theirs_all, case = [], [], f"{entry['model_name']}/{backend}"
    for image in IMAGES:
        ours, theirs = model.predict_one(str(image)).to_dict(), paddlex_results[image.name]
        assert set(theirs) == {"input_path", "page_index", "feature"}
        a, b = np.asarray(ours["feature"], dtype=np.float64), np.asarray(theirs["feature"], dtype=np.float64)
        assert b.shape[0] == 1 and abs(np.linalg.norm(b) - 1) < 1e-5, "PaddleX's form: [[...]], unit length"
        mismatches += compare(image.name, ours, theirs, TOLERANCES, case=case)
        theirs_all.append(b[0])
    assert not mismatches, "\n".join(mismatches)
    # The criterion is only meaningful if different images give clearly different embeddings.
    gram = np.array(theirs_all) @ np.array(theirs_all).T
    np.fill_diagonal(gram, -1.0)
    assert gram.max() < 0.999, f"the fixture's embeddings of two images are at cosine {gram.max():.5f}"
    print(f"{entry['model_name']} ({family}) via paddle2onnx {entry['conversion']['converter']['version']}, "
          f"{backend}: {len(IMAGES)} images, worst {report(case)}, "
          f"max inter-image cosine {gram.max():.4f}")

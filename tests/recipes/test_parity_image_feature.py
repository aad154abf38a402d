"""Parity with PaddleX itself for image and face feature (embedding) models: `create_model(...).predict`
and the bundle.

The models are fixtures from tests/fixtures/make_image_feature_model.py (resnet18 + PaddleClas's
Linear/BatchNorm embedding neck, seeded random weights, PIR `inference.json`), one per inference.yml
form: PP-ShiTuV2_rec (224x224, ImageNet normalisation, 512 values) and MobileFaceNet (112x112,
mean/std 0.5, 128 values). PaddleX 3.7.2 runs each in .venv-oracle through tests/oracle/paddlex_model.py.
On every image in ../shared/testdata/vision both CPU backends must give PaddleX's JSON keys and form
(`feature` = [[...]], unit length) and an embedding at cosine >= 0.9999 to PaddleX's. The fixture's
embeddings of different images are far apart (the test checks it), so a pre-processing slip shows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from vision_parity import IMAGES, MARKS, compile_bundle, open_fp32, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_image_feature_model import MODELS, make_model  # noqa: E402

PARITY_FAMILIES = ("image_feature",)
MIN_COSINE = 0.9999

pytestmark = MARKS


@pytest.fixture(scope="module", params=sorted(MODELS))
def feature_model(request, tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("models") / request.param, request.param)


@pytest.fixture(scope="module")
def feature_bundle(hpi_config, feature_model, tmp_path_factory) -> Path:
    return compile_bundle(feature_model, tmp_path_factory.mktemp("bundles") / "feature.hpi")


@pytest.fixture(scope="module")
def paddlex_results(feature_model, tmp_path_factory) -> dict[str, dict]:
    return oracle(feature_model, tmp_path_factory.mktemp("paddlex-feature"))


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_image_feature_matches_paddlex_on_every_image(feature_bundle, paddlex_results, backend):
    model = open_fp32(feature_bundle, backend)
    (family, entry), = model.bundle.manifest["models"].items()
    mismatches, worst_cos, worst_abs, theirs_all = [], 1.0, 0.0, []
    for image in IMAGES:
        ours, theirs = model.predict_one(str(image)).to_dict(), paddlex_results[image.name]
        assert set(ours) == set(theirs) == {"input_path", "page_index", "feature"}
        a, b = np.asarray(ours["feature"], dtype=np.float64), np.asarray(theirs["feature"], dtype=np.float64)
        if a.shape != b.shape or a.shape[0] != 1:
            mismatches.append(f"{image.name}: feature shape {a.shape} vs PaddleX's {b.shape}")
            continue
        assert abs(np.linalg.norm(a) - 1) < 1e-5, "the embedding is not L2-normalised"
        cos = _cosine(a[0], b[0])
        worst_cos, worst_abs = min(worst_cos, cos), max(worst_abs, float(np.abs(a - b).max()))
        if cos < MIN_COSINE:
            mismatches.append(f"{image.name}: cosine {cos:.6f} to PaddleX's embedding")
        theirs_all.append(b[0])
    assert not mismatches, "\n".join(mismatches)
    # The criterion is only meaningful if different images give clearly different embeddings.
    gram = np.array(theirs_all) @ np.array(theirs_all).T
    np.fill_diagonal(gram, -1.0)
    assert gram.max() < 0.999, f"the fixture's embeddings of two images are at cosine {gram.max():.5f}"
    print(f"{entry['model_name']} ({family}) via paddle2onnx {entry['conversion']['converter']['version']}, "
          f"{backend}: {len(IMAGES)} images, min cosine 1 - {1 - worst_cos:.1e}, max abs diff {worst_abs:.2g}, "
          f"max inter-image cosine {gram.max():.4f}")

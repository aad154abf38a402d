"""Known-answer tests of the image feature recipe and NormalizeFeatures (no Paddle, no PaddleX)."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from hpi.recipes import model_recipe_for
from hpi.core.errors import CompileError
from hpi.runtime_min.ops.image_feature import normalize_features

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_image_feature_model import inference_config  # noqa: E402  (yaml only, no paddle)


def test_normalize_features_is_row_l2_in_float32():
    preds = np.array([[3.0, 4.0], [0.0, -2.0]], dtype=np.float32)
    out = normalize_features(preds)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.float32([[0.6, 0.8], [0.0, -1.0]]))


@pytest.mark.parametrize("name, side, mean", [("PP-ShiTuV2_rec", 224, 0.485), ("MobileFaceNet", 112, 0.5)])
def test_spec_follows_paddlex_image_feature_predictor(name, side, mean):
    config = inference_config(name)
    spec = model_recipe_for(name).runtime_spec(config).to_dict()
    # PaddleX ignores ResizeImage's interpolation ("bilinear" in the file) and always resizes bilinearly.
    assert spec["resize"] == {"size": [side, side], "interpolation": "LINEAR"}
    assert spec["crop"] is None and spec["normalize"]["mean"][0] == mean
    assert spec["postprocess"] == {"name": "NormalizeFeatures"}
    assert model_recipe_for(name).family == "image_feature"
    json.dumps(spec, allow_nan=False)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["PreProcess"]["transform_ops"].insert(1, {"CropImage": {"size": 224}}), "'CropImage' is not supported"),
    (lambda c: c["PreProcess"]["transform_ops"].pop(0), "no ResizeImage"),
    (lambda c: c["PreProcess"]["transform_ops"][0]["ResizeImage"].pop("size"), "needs resize_short or size"),
    (lambda c: c["PreProcess"]["transform_ops"][1]["NormalizeImage"].update(order="chw"), "order 'chw'"),
    (lambda c: c.update(PostProcess={"Topk": {"topk": 5}}), "NormalizeFeatures"),
])
def test_recipe_refuses_what_paddlex_does_not_run(edit, message):
    config = inference_config()
    edit(config)
    with pytest.raises(CompileError, match=message):
        model_recipe_for("PP-ShiTuV2_rec").runtime_spec(config)


def test_profile_is_the_hpi_block_else_the_resize_size():
    recipe = model_recipe_for("MobileFaceNet")
    config = inference_config("MobileFaceNet")
    assert recipe.profile(config)["x"] == ([1, 3, 112, 112], [1, 3, 112, 112], [8, 3, 112, 112])
    config.pop("Hpi")
    config["PreProcess"]["transform_ops"][0]["ResizeImage"]["size"] = [96, 128]  # [w, h]
    assert recipe.profile(config)["x"] == ([1, 3, 128, 96], [1, 3, 128, 96], [8, 3, 128, 96])

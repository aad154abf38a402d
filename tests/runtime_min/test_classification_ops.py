"""Known-answer tests of the image classification ops, recipe and runner (no Paddle, no PaddleX)."""

import dataclasses
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from hpi.recipes import model_recipe_for
from hpi.core.errors import CompileError
from hpi.runtime_min.ops.classification import center_crop, preprocess, resize_short, resize_to, topk
from hpi.runtime_min.pipelines import build
from hpi.runtime_min.result import Result

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_classification_model import LABELS, inference_config  # noqa: E402  (yaml only, no paddle)


def image(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


# --- pre-processing ---------------------------------------------------------------------------


@pytest.mark.parametrize("hw, expected", [
    ((200, 300), (256, 384)),      # short side lands on 256, the other scales with it
    ((300, 200), (384, 256)),
    ((512, 513), (256, 256)),      # 256.5 rounds half to even, as Python's round does in PaddleX
    ((514, 515), (256, 256)),      # 256.498...
    ((100, 100), (256, 256)),      # enlarges too
])
def test_resize_short_sizes(hw, expected):
    assert resize_short(image(*hw), 256).shape[:2] == expected


def test_resize_short_matches_cv2_linear_and_skips_same_size():
    img = image(200, 300)
    assert np.array_equal(resize_short(img, 256), cv2.resize(img, (384, 256), interpolation=cv2.INTER_LINEAR))
    assert np.array_equal(resize_short(img, 256, "nearest"), cv2.resize(img, (384, 256),
                                                                        interpolation=cv2.INTER_NEAREST))
    same = image(256, 300)
    assert resize_short(same, 256) is same


def test_resize_to_int_or_width_height():
    assert resize_to(image(50, 70), 32).shape[:2] == (32, 32)
    assert resize_to(image(50, 70), [160, 80]).shape[:2] == (80, 160)


def test_center_crop_offsets_floor_and_refuses_small_images():
    img = np.arange(7 * 9 * 3, dtype=np.uint8).reshape(7, 9, 3)
    out = center_crop(img, 4)
    assert np.array_equal(out, img[1:5, 2:6])  # (9-4)//2 = 2, (7-4)//2 = 1
    assert center_crop(img, [9, 3]).shape[:2] == (3, 9)
    with pytest.raises(ValueError, match="smaller than the target size"):
        center_crop(img, 8)


def test_preprocess_resize_crop_normalize_chw():
    spec = model_recipe_for("PP-LCNet_x1_0").runtime_spec(inference_config())
    rgb = image(300, 400)
    x = preprocess(rgb, spec)
    assert x.shape == (3, 224, 224) and x.dtype == np.float32 and x.flags.c_contiguous
    resized = cv2.resize(rgb, (341, 256), interpolation=cv2.INTER_LINEAR)  # 400*256/300 = 341.33
    crop = resized[16:240, 58:282].astype(np.float32)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    want = (crop * (1 / 255 / std).astype(np.float32) + (-mean / std).astype(np.float32)).transpose(2, 0, 1)
    assert np.array_equal(x, want)


# --- Topk -------------------------------------------------------------------------------------


def test_topk_order_rounding_and_labels():
    probs = np.array([[0.1, 0.5, 0.123456789, 0.2, 0.076543211]], np.float32)
    ids, scores, names = topk(probs, 3, ["a", "b", "c", "d", "e"])
    assert ids.dtype == np.int32 and ids.tolist() == [[1, 3, 2]]
    assert scores[0].dtype == np.float32
    assert scores[0].tolist() == np.around(np.float32([0.5, 0.2, 0.123456789]), 5).tolist()
    assert names == [["b", "d", "c"]]


def test_topk_without_labels_or_with_too_few_names_uses_ids():
    probs = np.array([[0.1, 0.6, 0.3]], np.float32)
    assert topk(probs, 2)[2] == [["1", "2"]]
    assert topk(probs, 2, ["zero", "one"])[2] == [["one", "2"]]


def test_topk_ties_follow_numpy_argsort():
    probs = np.full((1, 10), 0.1, np.float32)
    ids, _, _ = topk(probs, 5)
    assert ids.tolist() == [probs.argsort(axis=1)[0, -5:][::-1].tolist()]


# --- recipe -----------------------------------------------------------------------------------


def test_recipe_spec_and_profile_from_paddlex_inference_yml():
    recipe = model_recipe_for("ResNet50")
    config = inference_config()
    spec = recipe.runtime_spec(config).to_dict()
    assert spec["resize"] == {"resize_short": 256, "interpolation": "LINEAR"}
    assert spec["crop"] == {"size": 224}
    assert spec["normalize"]["scale"] == pytest.approx(1 / 255)
    assert spec["postprocess"] == {"name": "Topk", "topk": 5, "label_list": LABELS}
    assert recipe.profile(config) == {"x": ([1, 3, 224, 224], [1, 3, 224, 224], [8, 3, 224, 224])}
    json.dumps(spec, allow_nan=False)  # goes into the canonical-JSON manifest as is


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["PreProcess"]["transform_ops"].insert(0, {"DecodeImage": {}}), "DecodeImage"),
    (lambda c: c["PreProcess"]["transform_ops"][0]["ResizeImage"].update(backend="pil"), "no Pillow"),
    (lambda c: c["PreProcess"]["transform_ops"][0]["ResizeImage"].update(interpolation="cubic"), "CUBIC"),
    (lambda c: c["PreProcess"]["transform_ops"].pop(0), "no ResizeImage"),
    (lambda c: c.update(PostProcess={"MultiLabelThreshOutput": {"threshold": 0.5}}), "Topk"),
    (lambda c: c["PostProcess"]["Topk"].pop("topk"), "no topk"),
])
def test_recipe_refuses_what_the_runtime_cannot_run(edit, message):
    config = inference_config()
    edit(config)
    with pytest.raises(CompileError, match=message):
        model_recipe_for("PP-HGNetV2-B0").runtime_spec(config)


# --- runner -----------------------------------------------------------------------------------


class FakeModel:
    """Stand-in network: softmax of the per-channel means, so the output depends on the colours."""

    def __init__(self, spec):
        self.entry = SimpleNamespace(spec=spec)
        self.inputs = []

    def __call__(self, x):
        self.inputs.append(x)
        logits = np.concatenate([x.mean(axis=(2, 3)), np.tile(np.float32([0, -1]), (len(x), 1))], axis=1)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def test_runner_reads_rgb_and_returns_paddlex_json(tmp_path):
    spec = model_recipe_for("PP-LCNet_x1_0").runtime_spec(inference_config())
    spec = dataclasses.replace(spec, postprocess=dataclasses.replace(spec.postprocess, topk=3))
    model = FakeModel(spec)
    runner = build("image_classification", {"model": model}, {})
    bgr = np.zeros((240, 320, 3), np.uint8)
    bgr[:, :, 0] = 255  # pure blue: the model must see it in its third (B of RGB) channel
    data = runner.predict_one(bgr)
    assert model.inputs[0].shape == (1, 3, 224, 224)
    assert model.inputs[0][0, 2].mean() > model.inputs[0][0, 0].mean()
    out = Result("blue.png", data, bgr, runner).to_dict()
    assert list(out) == ["input_path", "page_index", "class_ids", "scores", "label_names"]
    assert out["class_ids"] == [[2, 3, 4]]  # nested, as PaddleX writes a batch-of-one result
    assert out["label_names"] == ["class_2", "class_3", "class_4"]
    assert all(isinstance(s, float) for s in out["scores"]) and out["scores"] == sorted(out["scores"])[::-1]
    json.dumps(out)
    runner.save_visualization(data, bgr, tmp_path / "vis.png")
    vis = cv2.imread(str(tmp_path / "vis.png"))
    assert vis.shape == bgr.shape and tuple(vis[5, 5]) == (0, 0, 255)  # the red label box

"""Known-answer tests of the semantic segmentation ops and recipe (no Paddle, no PaddleX)."""

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from hpi.recipes import model_recipe_for
from hpi.core.errors import CompileError
from hpi.runtime_min.ops.segmentation import PALETTE_RGB, pseudo_color, restore_size, seg_resize

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_segmentation_model import NATIVE, RESIZED, inference_config  # noqa: E402  (yaml only, no paddle)


def image(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("hw, args, expected_hw", [
    ((163, 53), {"target_size": [-1, -1]}, (163, 53)),                    # no Resize: the image as it is
    ((404, 640), {"target_size": [320, 240]}, (224, 320)),                # scale 0.5: 202x320, 202 → 224
    ((480, 640), {"target_size": [320, 240], "size_divisor": None}, (240, 320)),
    ((480, 640), {"target_size": [100, 50], "keep_ratio": False, "size_divisor": None}, (50, 100)),
])
def test_seg_resize_sizes(hw, args, expected_hw):
    assert seg_resize(image(*hw), **args).shape[:2] == expected_hw


def test_restore_size_is_nearest_and_refuses_logits():
    label_map = np.array([[[0, 1], [2, 3]]], np.int64)
    out = restore_size(label_map, 4, 4)
    assert out.shape == (1, 4, 4) and out.dtype == np.int32
    assert np.array_equal(out[0], cv2.resize(label_map[0].astype(np.int32), (4, 4), interpolation=cv2.INTER_NEAREST))
    with pytest.raises(ValueError, match="argmax label map"):
        restore_size(np.zeros((1, 6, 4, 4), np.float32), 4, 4)


def test_palette_is_paddlex_voc_palette_shifted_by_one():
    # PaddleX drops colour 0 (black), so class 0 is VOC's colour 1 (128, 0, 0) and class 1 is (0, 128, 0).
    assert PALETTE_RGB[:3].tolist() == [[128, 0, 0], [0, 128, 0], [128, 128, 0]]
    assert pseudo_color(np.array([[0, 1]]))[0].tolist() == [[0, 0, 128], [0, 128, 0]]  # BGR
    with pytest.raises(ValueError, match="uint8"):
        pseudo_color(np.array([[256]]))


def test_recipe_spec_from_inference_yml():
    recipe = model_recipe_for("PP-LiteSeg-T")
    spec = recipe.runtime_spec(inference_config(transforms=NATIVE)).to_dict()
    assert spec["resize"]["target_size"] == [-1, -1]
    assert spec["normalize"]["mean"] == [0.5] * 3 and spec["normalize"]["std"] == [0.5] * 3
    spec = recipe.runtime_spec(inference_config(transforms=RESIZED)).to_dict()
    assert spec["resize"] == {"target_size": [320, 240], "keep_ratio": True, "size_divisor": 32,
                              "interpolation": "LINEAR"}


@pytest.mark.parametrize("deploy, message", [
    ({"transforms": [{"type": "Normalize"}, {"type": "RandomFlip"}]}, "op 'RandomFlip' is not supported"),
    ({"transforms": [{"type": "Resize", "target_size": 512}]}, "no Normalize"),
    ({"transforms": [{"type": "Normalize", "scale": 1}]}, r"unknown arguments \['scale'\]"),
    ({"transforms": [{"type": "Resize", "target_size": [1.5, 2]}, {"type": "Normalize"}]}, "target_size"),
    ({"transforms": [{"type": "Normalize"}], "output_op": "softmax"}, "output_op 'softmax'"),
])
def test_recipe_refuses_what_it_cannot_port(deploy, message):
    with pytest.raises(CompileError, match=message):
        model_recipe_for("PP-LiteSeg-T").runtime_spec({"Deploy": deploy, "Global": {"model_name": "PP-LiteSeg-T"}})


def test_label_maps_compare_exactly_up_to_the_recipe_share_of_flipped_pixels():
    from hpi.runtime_min.compare import Case, compare

    tol = model_recipe_for("PP-LiteSeg-T").tolerance
    want = np.zeros((1, 100, 100), np.int32)
    one_flip, many_flips = want.copy(), want.copy()
    one_flip[0, 0, 0] = 3                  # 0.01 % of the pixels: a near-tie flipped by float noise
    many_flips[0, :2, :] = 1               # 2 %: a wrong conversion
    (ok,), (bad,) = (compare(Case("opt", {}, [want]), [got], ["argmax_0"], tol) for got in (one_flip, many_flips))
    assert ok.passed and ok.mismatched == 1e-4 and ok.to_dict()["mismatched"] == 1e-4
    assert not bad.passed and "2.000% of elements outside tolerance" in bad.describe()
    assert tol.to_dict() == {"atol": 0.0, "rtol": 0.0, "mismatch_fraction": 1e-3}

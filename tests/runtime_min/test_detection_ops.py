"""Known-answer tests of the detection ops and recipe (no Paddle, no PaddleX)."""

import copy
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from hpi.recipes import model_recipe_for
from hpi.runtime_min.compare import Case, Tolerance, compare
from hpi.core.errors import CompileError
from hpi.runtime_min.ops.detection import paddle_nms_order, postprocess, preprocess, resize

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_detection_model import MODELS, inference_config  # noqa: E402  (yaml only, no paddle)

LABELS = ["text", "image", "table"]


def image(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


# --- pre-processing ---------------------------------------------------------------------------


def test_resize_to_target_gives_scale_factors_of_each_side():
    out, scale, size = resize(image(300, 200), [416, 608], keep_ratio=False, interpolation="BICUBIC")
    assert out.shape[:2] == (416, 608) and size == [608, 416]
    assert scale == [608 / 200, 416 / 300]


def test_resize_keep_ratio_scales_both_sides_alike():
    # scale = min(max(target) / max(img), min(target) / min(img)) = min(640 / 400, 480 / 200) = 1.6
    out, scale, size = resize(image(200, 400), [480, 640], keep_ratio=True, interpolation="LINEAR")
    assert out.shape[:2] == (320, 640) and scale == [1.6, 1.6]


@pytest.mark.parametrize("model_name, feeds", [("PicoDet-S", ["image", "scale_factor"]),
                                                ("PP-DocLayout-L", ["im_shape", "image", "scale_factor"])])
def test_preprocess_feeds_in_paddlex_order(model_name, feeds):
    spec = model_recipe_for(model_name).runtime_spec(inference_config(model_name))
    out = preprocess(image(300, 200), spec)
    h, w = MODELS[model_name][1]
    assert list(out) == feeds and out["image"].shape == (1, 3, h, w) and out["image"].dtype == np.float32
    np.testing.assert_allclose(out["scale_factor"], [[h / 300, w / 200]], rtol=1e-6)  # [h_scale, w_scale]
    if "im_shape" in out:
        assert out["im_shape"].tolist() == [[h, w]]


# --- post-processing --------------------------------------------------------------------------


def boxes(*rows):
    return np.array(rows, dtype=np.float32)


def test_threshold_is_strict_and_clipping_gives_paddlex_ints():
    found = postprocess(boxes([0, 0.5, 10, 10, 50, 50], [2, 0.7, -5, 3, 120, 40]), [100, 80], 0.5, LABELS)
    assert len(found) == 1  # 0.5 is not > 0.5
    box = found[0]
    assert (box["cls_id"], box["label"]) == (2, "table") and abs(box["score"] - 0.7) < 1e-7
    assert box["coordinate"][0] == 0 and type(box["coordinate"][0]) is int   # max(0, -5)
    assert box["coordinate"][2] == 100 and type(box["coordinate"][2]) is int  # min(w, 120)


def test_integer_threshold_filters_nothing_as_in_paddlex():
    assert len(postprocess(boxes([0, 0.1, 1, 1, 5, 5]), [10, 10], 1, LABELS)) == 1


def test_per_class_threshold():
    found = postprocess(boxes([0, 0.3, 1, 1, 5, 5], [2, 0.3, 1, 1, 5, 5]), [10, 10], {0: 0.2, 2: 0.4}, LABELS)
    assert [b["cls_id"] for b in found] == [0]


def test_per_class_threshold_read_back_from_a_manifest():
    """JSON turns the map's class ids into strings; they must still select their classes (not 0.5)."""
    threshold = json.loads(json.dumps({0: 0.2, 2: 0.4}))
    found = postprocess(boxes([0, 0.3, 1, 1, 5, 5], [2, 0.45, 1, 1, 5, 5]), [10, 10], threshold, LABELS)
    assert [b["cls_id"] for b in found] == [0, 2]


def test_large_image_box_is_dropped_only_when_another_box_remains():
    whole = [1, 0.9, 0, 0, 100, 80]
    assert postprocess(boxes(whole), [100, 80], 0.5, LABELS)[0]["label"] == "image"
    found = postprocess(boxes(whole, [0, 0.8, 5, 5, 20, 20]), [100, 80], 0.5, LABELS)
    assert [b["label"] for b in found] == ["text"]


def test_layout_nms_suppresses_same_class_overlap():
    found = postprocess(boxes([0, 0.9, 0, 0, 50, 50], [0, 0.8, 1, 1, 51, 51], [2, 0.7, 1, 1, 51, 51]),
                        [100, 100], 0.5, LABELS, layout_nms_on=True)
    assert [(b["cls_id"], round(b["score"], 2)) for b in found] == [(0, 0.9), (2, 0.7)]


def test_nms_order_is_class_then_score_and_comparison_uses_it():
    paddle = boxes([0, 0.9, 1, 1, 5, 5], [0, 0.6, 7, 7, 9, 9], [1, 0.8, 2, 2, 4, 4])
    shuffled = paddle[[1, 2, 0]]
    count = np.array([3], dtype=np.int32)
    assert np.array_equal(paddle_nms_order([shuffled, count])[0], paddle)
    case = Case("c", {}, [paddle, count])
    tol = Tolerance(atol=1e-4)
    assert not all(d.passed for d in compare(case, [shuffled, count], ["boxes", "num"], tol))
    assert all(d.passed for d in compare(case, [shuffled, count], ["boxes", "num"], tol, "paddle_nms"))


def test_a_different_box_count_is_reported_as_a_shape_difference():
    case = Case("min", {}, [boxes([0, 0.9, 1, 1, 5, 5]), np.array([1], np.int32)])
    diff = compare(case, [boxes(), np.array([0], np.int32)], ["boxes", "num"], Tolerance(1e-4), "paddle_nms")[0]
    assert not diff.passed and "shape differs" in diff.describe()


# --- recipe -----------------------------------------------------------------------------------


def test_every_model_name_has_its_family():
    # PaddleX runs its layout detectors with LayoutDetPredictor, every other fixture detector (table cell
    # detectors, face / human / vehicle / small-object / ShiTu mainbody detectors) with DetPredictor
    layout = {"PicoDet_layout_1x", "PP-DocLayout-L", "PP-DocLayout_plus-L", "PP-DocBlockLayout"}
    families = {name: model_recipe_for(name).family for name in MODELS}
    assert layout <= set(families) and "RT-DETR-L_wired_table_cell_det" in families
    assert families == {name: "layout_detection" if name in layout else "object_detection" for name in MODELS}


def test_profile_is_cut_to_batch_one_and_input_data_follows():
    recipe = model_recipe_for("RT-DETR-L")
    config = inference_config("RT-DETR-L")
    assert recipe.profile(config)["image"] == ([1, 3, 640, 640],) * 3
    assert recipe.profile_input_data(config)["scale_factor"] == ([2.0, 2.0], [1.0, 1.0], [0.67, 0.67])
    del config["Hpi"]  # the recipe's defaults: PaddleX's Hpi block for the model, cut the same way
    assert recipe.profile(config)["im_shape"] == ([1, 2],) * 3
    assert recipe.profile_input_data(config)["im_shape"] == ([640.0, 640.0],) * 3


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["Preprocess"].insert(0, {"type": "PadStride", "stride": 32}), "'PadStride' is not supported"),
    (lambda c: c["Preprocess"].append({"type": "Mosaic"}), "'Mosaic' is not supported"),
    (lambda c: c["Preprocess"].pop(2), "no Permute"),
    (lambda c: c["Preprocess"][1].update(norm_type="minmax"), "norm_type 'minmax'"),
    (lambda c: c["Preprocess"][0].update(interp=9), "interp 9"),
    (lambda c: c.pop("label_list"), "no label_list"),
    (lambda c: c.update(layout_merge_bboxes_mode={"1": "largest"}), "layout_merge_bboxes_mode"),
    (lambda c: c.update(draw_threshold="high"), "draw_threshold"),
])
def test_bad_inference_yml_gives_one_clear_error(edit, message):
    config = copy.deepcopy(inference_config("PicoDet-S"))
    edit(config)
    with pytest.raises(CompileError, match=message) as info:
        model_recipe_for("PicoDet-S").runtime_spec(config)
    assert "\n" not in str(info.value)

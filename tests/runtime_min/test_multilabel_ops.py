"""Known-answer tests of the multi-label classification ops and recipe (no Paddle, no PaddleX)."""

import sys
from pathlib import Path

import numpy as np
import pytest

from hpi.recipes import model_recipe_for
from hpi.core.errors import CompileError
from hpi.runtime_min.ops.multilabel import class_thresholds, multilabel_thresh

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_multilabel_model import LABELS, inference_config  # noqa: E402  (yaml only, no paddle)


def test_threshold_forms():
    assert class_thresholds(0.5, 3) == [0.5, 0.5, 0.5]
    assert class_thresholds({"default": 0.5, 2: 0.7, "1": 0.2}, 3) == [0.5, 0.2, 0.7]
    assert class_thresholds([0.1, 0.2, 0.3], 3) == [0.1, 0.2, 0.3]
    for bad, message in [({2: 0.7}, "default"), ([0.1], "1 values for 3"), ({"default": 0.5, 3: 0.1}, "below 3"),
                         ("0.5", "a float, a dict or a list")]:
        with pytest.raises(ValueError, match=message):
            class_thresholds(bad, 3)


def test_kept_classes_best_first_rounded_and_cut_at_the_rows_threshold():
    probs = np.array([[0.2, 0.912345678, 0.6, 0.55]], np.float32)
    (ids, scores, names), = multilabel_thresh(probs, [0.5, 0.95, 0.95, 0.95], ["a", "b", "c", "d"])
    # PaddleX pairs image 0 with class 0's threshold (0.5) for every class
    assert ids.tolist() == [1, 2, 3] and names == ["b", "c", "d"]
    assert scores.tolist() == [0.91235, 0.6, 0.55]
    (ids, _, _), = multilabel_thresh(probs, [0.95] * 4, ["a", "b", "c", "d"])
    assert ids.tolist() == []


def test_recipe_spec_skips_crop_and_resolves_thresholds():
    config = inference_config(threshold={"default": 0.5, 0: 0.3})
    config["PreProcess"]["transform_ops"].insert(1, {"CropImage": {"size": 224}})
    spec = model_recipe_for("PP-LCNet_x1_0_ML").runtime_spec(config).to_dict()
    assert spec["crop"] is None and spec["resize"]["size"] == 448
    assert spec["postprocess"]["thresholds"][:2] == [0.3, 0.5] and spec["postprocess"]["label_list"] == LABELS


@pytest.mark.parametrize("post, message", [
    ({"Topk": {"topk": 5}}, r"PostProcess \['Topk'\] is not supported"),
    ({"MultiLabelThreshOutput": {"threshold": 0.5}}, "no label_list"),
    ({"MultiLabelThreshOutput": {"label_list": LABELS}}, "no threshold"),
    ({"MultiLabelThreshOutput": {"threshold": [0.5], "label_list": LABELS}}, "1 values for 80 classes"),
])
def test_recipe_refuses_what_paddlex_cannot_run(post, message):
    config = {**inference_config(), "PostProcess": post}
    with pytest.raises(CompileError, match=message):
        model_recipe_for("PP-LCNet_x1_0_ML").runtime_spec(config)

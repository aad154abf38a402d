"""Instance segmentation post-processing: masks follow their boxes when a backend reorders the top-k,
and PaddleX's threshold / clip / crop rules (fast, no model)."""

import numpy as np
import pytest

from hpi.core.errors import CompileError
from hpi.runtime_min.ops.instance_segmentation import postprocess, topk_masks_order


def _outputs():
    boxes = np.array([[0, 0.9, 1, 1, 4, 4], [1, 0.4, 0, 0, 2, 2], [2, 0.7, 2, 2, 6, 5]], np.float32)
    masks = np.stack([np.full((6, 8), i, np.int32) for i in range(3)])
    return [boxes, np.array([3], np.int32), masks]


def test_masks_move_with_their_boxes():
    boxes, counts, masks = _outputs()
    shuffled = [boxes[[2, 0, 1]], counts, masks[[2, 0, 1]]]
    out = topk_masks_order(shuffled)
    assert out[0][:, 1].tolist() == pytest.approx([0.9, 0.7, 0.4])
    assert [int(m[0, 0]) for m in out[2]] == [0, 2, 1]


def test_threshold_clip_and_crop_as_paddlex():
    boxes, _, masks = _outputs()
    masks[2, 3, 3] = 7
    found, crops = postprocess(boxes, masks, [5, 6], 0.5, ["a", "b", "c"])
    assert [b["label"] for b in found] == ["a", "c"]          # 0.4 is under the threshold
    assert found[1]["coordinate"][2] == 5                      # xmax clipped to the image width
    assert crops[1].shape == (3, 3) and crops[1][1, 1] == 7    # rows 2:5, cols 2:5


def test_per_class_threshold_is_refused():
    from hpi.recipes import model_recipe_for

    config = {"draw_threshold": {0: 0.5}, "label_list": ["a"], "Global": {"model_name": "Mask-RT-DETR-S"},
              "Preprocess": [{"type": "Resize", "target_size": [640, 640]}, {"type": "NormalizeImage"},
                             {"type": "Permute"}]}
    with pytest.raises(CompileError, match="must be a number"):
        model_recipe_for("Mask-RT-DETR-S").runtime_spec(config)

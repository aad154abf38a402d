"""Known-answer tests of the anomaly detection ops and recipe (no Paddle, no PaddleX)."""

import sys
from pathlib import Path

import numpy as np
import pytest

from hpi.recipes import model_recipe_for
from hpi.core.errors import CompileError
from hpi.runtime_min.ops.anomaly import DISK_4, map_to_mask

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_anomaly_model import inference_config  # noqa: E402  (yaml only, no paddle)


def test_disk_is_scikit_images_disk_4():
    # skimage.morphology.disk(4) printed by scikit-image 0.26: rows of 1, 5, 7, 7, 9, 7, 7, 5, 1 pixels
    assert DISK_4.sum(axis=1).tolist() == [1, 5, 7, 7, 9, 7, 7, 5, 1] and DISK_4.shape == (9, 9)


def test_mask_thresholds_at_0_01_and_opens_away_small_blobs():
    score = np.zeros((1, 1, 40, 40), np.float32)
    score[0, 0, 5:20, 5:20] = 0.0101    # a 15x15 blob just above 0.01: survives the opening, corners rounded
    score[0, 0, 30:34, 30:34] = 0.5     # 4x4: smaller than the disk, opened away
    score[0, 0, 22:28, 5:20] = 0.01     # not above the threshold
    mask = map_to_mask(score)
    assert mask.shape == (1, 40, 40) and mask.dtype == np.uint8
    assert set(np.unique(mask)) == {0, 255}
    assert (mask[0, 9:16, 5:20] == 255).all() and (mask[0, 30:34, 30:34] == 0).all()
    assert mask[0, 5, 5] == 0 and mask[0, 5, 9] == 255  # no disk inside the square covers its corner
    assert (mask[0, 22:28] == 0).all()


def test_recipe_spec_from_inference_yml():
    spec = model_recipe_for("STFPM").runtime_spec(inference_config()).to_dict()
    assert spec["resize"] == {"target_size": [256, 256], "keep_ratio": False, "size_divisor": None,
                              "interpolation": "LINEAR"}
    assert spec["normalize"]["std"] == [0.229, 0.224, 0.225]


@pytest.mark.parametrize("transforms, message", [
    ([{"type": "Normalize"}], "no Resize"),
    ([{"type": "Resize", "target_size": 256}], "no Normalize"),
    ([{"type": "Resize", "target_size": 256}, {"type": "Normalize"}, {"type": "Padding"}], "op 'Padding'"),
    ([{"type": "Resize"}, {"type": "Normalize"}], "needs a target_size"),
])
def test_recipe_refuses_what_paddlex_cannot_run(transforms, message):
    config = inference_config()
    config["Deploy"]["transforms"] = transforms
    with pytest.raises(CompileError, match=message):
        model_recipe_for("STFPM").runtime_spec(config)

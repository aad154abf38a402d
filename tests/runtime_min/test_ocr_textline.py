"""The text line orientation branch of the OCR pipeline and its recipes, without models.

The real classifier and PaddleX itself are in tests/recipes/test_parity_textline.py (slow); here fake networks
pin down PaddleX's batching quirk, the 180-degree turn and the resolved config.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from hpi.recipes import model_recipe_for, pipeline_recipe_for
from hpi.core.errors import CompileError
from hpi.runtime_min.pipelines.ocr import OcrRunner, rotate_image

from conftest import REPO
from test_ocr_ops import FakeRec, fake_det, text_image

sys.path.insert(0, str(REPO / "scripts"))
from fetch_models import pipeline_config, textline_ori_config, textline_pipeline_config  # noqa: E402

SPEC = model_recipe_for("PP-LCNet_x0_25_textline_ori").runtime_spec(textline_ori_config())


def test_rotate_image_is_paddlex_warp_not_a_flip():
    """PaddleX turns crops with warpAffine about (w/2, h/2): pixel x lands on w - x, so the turned
    image is shifted by one pixel and gets a black first row and column."""
    src = np.random.RandomState(0).randint(1, 256, (7, 11, 3)).astype(np.uint8)
    assert rotate_image(src, 0) is src
    out = rotate_image(src, 180)
    assert out.shape == src.shape
    assert (out[0] == 0).all() and (out[:, 0] == 0).all()
    assert (out[1:, 1:] == src[::-1, ::-1][:-1, :-1]).all()
    with pytest.raises(ValueError, match="range"):
        rotate_image(src, 360)


class FakeOri:
    """Says 'upside down' (class 1) for crops whose top half is darker than the bottom half; records
    the batches it is given. The model input is the normalized [N, 3, 48, 192] crop batch."""

    def __init__(self, flip_all=False):
        self.calls, self.flip_all = [], flip_all

    def __call__(self, x):
        self.calls.append(x.shape)
        top, bottom = x[:, :, :24].mean(axis=(1, 2, 3)), x[:, :, 24:].mean(axis=(1, 2, 3))
        upside = np.full(len(x), self.flip_all) | (top < bottom)
        probs = np.zeros((len(x), 2), np.float32)
        probs[np.arange(len(x)), upside.astype(int)] = 1.0
        return probs


def test_textline_angles_follow_paddlex_batches_and_turn_crops():
    img = text_image()  # two lines
    ori, rec = FakeOri(flip_all=True), FakeRec()
    params = {"rec_batch_size": 1, "use_textline_orientation": True, "textline_orientation_batch_size": 6}
    res = OcrRunner(fake_det, rec, list("abc"), params, textline_infer=ori, textline_spec=SPEC).predict_one(img)
    n = len(res["dt_polys"])
    assert n >= 2
    assert res["model_settings"] == {"use_doc_preprocessor": False, "use_textline_orientation": True}
    assert res["textline_orientation_angles"] == [1] * n
    assert ori.calls == [(n, 3, 48, 192)]  # all crops of the image in one batch of up to 6

    pipe = OcrRunner(fake_det, FakeRec(), list("abc"), {**params, "textline_orientation_batch_size": 1},
                       textline_infer=FakeOri(), textline_spec=SPEC)
    crops = [np.full((20, 60, 3), 255, np.uint8) for _ in range(3)]
    crops[1][:10] = 0  # dark top: "upside down"
    assert pipe.textline_angles(crops) == [0, 1, 0]


def test_textline_batch_takes_the_first_crops_angle():
    """PaddleX 3.7.2 gives every crop of a batch the class of the batch's first crop."""
    up, down = np.full((20, 60, 3), 255, np.uint8), np.full((20, 60, 3), 255, np.uint8)
    down[:10] = 0
    pipe = OcrRunner(fake_det, FakeRec(), list("abc"),
                       {"use_textline_orientation": True, "textline_orientation_batch_size": 2},
                       textline_infer=FakeOri(), textline_spec=SPEC)
    assert pipe.textline_angles([up, down, down, up, up]) == [0, 0, 1, 1, 0]


def test_textline_needs_the_model_and_stays_off_by_default():
    with pytest.raises(ValueError, match="textline"):
        OcrRunner(fake_det, FakeRec(), list("abc"), {"use_textline_orientation": True})
    with pytest.raises(ValueError, match="positive"):
        OcrRunner(fake_det, FakeRec(), list("abc"), {"textline_orientation_batch_size": 0})
    ori = FakeOri(flip_all=True)
    res = OcrRunner(fake_det, FakeRec(), list("abc"), {}, textline_infer=ori,
                      textline_spec=SPEC).predict_one(text_image())
    assert res["textline_orientation_angles"] == [-1] * len(res["dt_polys"]) and not ori.calls
    assert res["model_settings"]["use_textline_orientation"] is False


def test_recipes_resolve_textline_orientation():
    ocr = pipeline_recipe_for("OCR")
    plain, textline = pipeline_config(), textline_pipeline_config()
    assert set(ocr.modules_for(plain)) == {"TextDetection", "TextRecognition"}
    assert ocr.modules_for(textline)["TextLineOrientation"] == "textline_ori"
    params = ocr.params(textline, {"text_det": {}, "text_rec": {}, "textline_ori": SPEC})
    assert params["use_textline_orientation"] is True and params["textline_orientation_batch_size"] == 6
    # An OCR.yaml without the switch keeps its resolved params (and bundle) as before.
    assert "use_textline_orientation" not in ocr.params(plain, {"text_det": {}, "text_rec": {}})

    # PaddleX turns the orientation model on when the config does not mention it.
    unset = {k: v for k, v in plain.items() if k != "use_textline_orientation"}
    with pytest.raises(CompileError, match="not set, and PaddleX then turns it on"):
        ocr.modules_for(unset)
    with pytest.raises(CompileError, match="use_doc_preprocessor"):
        ocr.params(dict(textline, use_doc_preprocessor=True), {"textline_ori": SPEC})

    assert SPEC.to_dict()["resize"] == {"size": [192, 48], "interpolation": "LINEAR"} and SPEC.to_dict()["crop"] is None
    assert SPEC.to_dict()["postprocess"] == {"name": "Topk", "topk": 1, "label_list": ["0_degree", "180_degree"]}
    assert model_recipe_for("PP-LCNet_x1_0_textline_ori").family == "image_classification"
    three = textline_ori_config()
    three["PostProcess"]["Topk"]["label_list"] = ["0", "90", "180"]
    with pytest.raises(CompileError, match="2 classes"):
        model_recipe_for("PP-LCNet_x0_25_textline_ori").runtime_spec(three)

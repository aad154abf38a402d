"""The table structure recipe on PaddleX's SLANet / SLANet_plus inference.yml (scripts/fetch_table_model.py):
what it reads, and each way an inference.yml PaddleX's TableRunnerPredictor would mis-run or fail on is
refused in one line. Parity: tests/recipes/test_parity_table_structure.py."""

from __future__ import annotations

import copy
import sys

import numpy as np
import pytest

from conftest import REPO
from hpi.core.errors import CompileError
from hpi.recipes import model_recipe_for
from hpi.runtime_min.ops.table_structure import TableLabelDecode, preprocess

sys.path.insert(0, str(REPO / "scripts"))
import fetch_table_model  # noqa: E402


def _spec(name="SLANet_plus", change=None):
    config = copy.deepcopy(fetch_table_model.table_config(name))
    if change:
        change(config)
    return model_recipe_for(name).runtime_spec(config)


def test_real_configs():
    plus, slanet = _spec(), _spec("SLANet")
    assert (plus.resize_long, plus.pad_size, plus.pad_value, plus.normalize.scale) == (488, 488, 0.0, 1 / 255)
    assert plus.postprocess.box_scale == "padded" and slanet.postprocess.box_scale == "original"
    # sos + 48 tokens (merged) + eos: the real SLANet_plus ONNX scores 50 classes, SLANet 30.
    assert len(TableLabelDecode(plus.postprocess).character) == 50
    assert len(TableLabelDecode(slanet.postprocess).character) == 30


def _ops(config):
    return config["PreProcess"]["transform_ops"]


@pytest.mark.parametrize("change, message", [
    (lambda c: _ops(c).insert(3, _ops(c).pop(4)), "in this order"),
    (lambda c: _ops(c).insert(0, _ops(c).pop(1)), "transform_ops[1] must be TableLabelEncode"),
    (lambda c: _ops(c).append({"ResizeImage": {}}), "'ResizeImage' is not supported"),
    (lambda c: c["PostProcess"].pop("character_dict"), "character_dict must be a non-empty list"),
    (lambda c: _ops(c)[0].update(DecodeImage={"img_mode": "RGB"}), "img_mode BGR"),
    (lambda c: _ops(c)[1]["TableLabelEncode"].pop("merge_no_span_structure"), "no merge_no_span_structure"),
])
def test_bad_configs_are_refused_in_one_line(change, message):
    with pytest.raises(CompileError, match=message.replace("[", r"\[").replace("]", r"\]")) as info:
        _spec(change=change)
    assert "\n" not in str(info.value)


def test_decode_refuses_a_dictionary_that_does_not_fit_the_model():
    decode = TableLabelDecode(_spec().postprocess)
    with pytest.raises(ValueError, match="scores 30 structure tokens; its dictionary has 50"):
        decode(np.zeros((5, 8), np.float32), np.zeros((5, 30), np.float32), [488, 488], [100, 50])


def test_preprocess_pads_to_the_square():
    x, padding = preprocess(np.full((100, 300, 3), 255, np.uint8), _spec())
    assert x.shape == (1, 3, 488, 488) and padding == [488, 488]
    assert np.all(x[0, :, 163:, :] == 0) and np.all(x[0, :, :162, :] != 0)  # 300 -> 488 wide, 100 -> 163 high

"""The doc_preprocessor pipeline recipe: PaddleX's switches (on unless False), the SubModules each needs,
and every config key honoured or refused by name. Parity: tests/recipes/test_parity_unwarping.py."""

from __future__ import annotations

import copy

import pytest

from hpi.core.errors import CompileError
from hpi.recipes import pipeline_recipe_for

# PaddleX 3.7.2's paddlex/configs/pipelines/doc_preprocessor.yaml
STOCK = {"pipeline_name": "doc_preprocessor", "use_doc_orientation_classify": True, "use_doc_unwarping": True,
         "SubModules": {
             "DocOrientationClassify": {"module_name": "doc_text_orientation", "model_name": "PP-LCNet_x1_0_doc_ori",
                                        "model_dir": None},
             "DocUnwarping": {"module_name": "image_unwarping", "model_name": "UVDoc", "model_dir": None}}}
RECIPE = pipeline_recipe_for("doc_preprocessor")


def config(**changes):
    out = copy.deepcopy(STOCK)
    out.update(changes)
    return out


def test_stock_config_needs_both_models():
    assert RECIPE.modules_for(STOCK) == {"DocOrientationClassify": "doc_ori", "DocUnwarping": "doc_unwarp"}
    assert RECIPE.params(STOCK, {}) == {"use_doc_orientation_classify": True, "use_doc_unwarping": True}


def test_switches_off_drop_their_model():
    only_unwarp = config(use_doc_orientation_classify=False)
    assert RECIPE.modules_for(only_unwarp) == {"DocUnwarping": "doc_unwarp"}
    assert RECIPE.params(only_unwarp, {})["use_doc_orientation_classify"] is False
    assert RECIPE.modules_for(config(use_doc_orientation_classify=False, use_doc_unwarping=False)) == {}


def test_refusals_name_the_key():
    unset = config()
    del unset["use_doc_unwarping"]
    unset["SubModules"].pop("DocUnwarping")
    with pytest.raises(CompileError, match="use_doc_unwarping is not set, and PaddleX then turns it on; "
                                           r"doc_preprocessor needs SubModules.DocUnwarping"):
        RECIPE.modules_for(unset)
    with pytest.raises(CompileError, match=r"keys \['use_doc_unwrapping'\] are not PaddleX's"):
        RECIPE.modules_for(config(use_doc_unwrapping=True))
    with pytest.raises(CompileError, match="use_doc_unwarping must be true or false"):
        RECIPE.modules_for(config(use_doc_unwarping="yes"))
    with pytest.raises(CompileError, match="batch_size must be a positive integer"):
        RECIPE.params(config(batch_size=0), {})

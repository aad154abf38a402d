"""recipes/retrieval.py on PaddleX's stock PP-ShiTuV2.yaml / face_recognition.yaml and variants, without models:
the keys PaddleX reads and its parse_config reading of them (`index: None` is None), the other face models'
configs, and the refusals (an index in the config, a key PaddleX does not read, a module of the wrong kind)."""

from __future__ import annotations

import copy

import pytest
import yaml

from hpi.core.errors import CompileError
from hpi.core.specs import RetrievalParams
from hpi.recipes import pipeline_recipe_for

# PaddleX 3.7.2's stock files (paddlex/configs/pipelines/), as text: they load the same with PyYAML here.
SHITU = yaml.safe_load("""
pipeline_name: PP-ShiTuV2
index: None
det_threshold: 0.5
rec_threshold: 0.5
rec_topk: 5
SubModules:
  Detection: {module_name: text_detection, model_name: PP-ShiTuV2_det, model_dir: null, batch_size: 1}
  Recognition: {module_name: text_recognition, model_name: PP-ShiTuV2_rec, model_dir: null, batch_size: 1}
""")
FACE = yaml.safe_load("""
pipeline_name: face_recognition
index: None
det_threshold: 0.6
rec_threshold: 0.4
rec_topk: 5
SubModules:
  Detection: {module_name: face_detection, model_name: PP-YOLOE_plus-S_face, model_dir: null, batch_size: 1}
  Recognition: {module_name: face_feature, model_name: ResNet50_face, model_dir: null, batch_size: 1}
""")
SPECS = {"det": {"postprocess": {"name": "DetPostProcess"}}, "rec": {"postprocess": {"name": "NormalizeFeatures"}}}


def _params(config):
    recipe = pipeline_recipe_for(config["pipeline_name"])
    assert recipe.modules_for(config) == {"Detection": "det", "Recognition": "rec"}
    return RetrievalParams.from_dict(recipe.params(config, SPECS))


def test_stock_configs_resolve_to_paddlex_values():
    assert _params(SHITU) == RetrievalParams(det_threshold=0.5, rec_threshold=0.5, rec_topk=5)
    assert _params(FACE) == RetrievalParams(det_threshold=0.6, rec_threshold=0.4, rec_topk=5)
    # The other face models, and PaddleX's parse_config reading of strings (ast.literal_eval) and defaults.
    other = copy.deepcopy(FACE)
    other["SubModules"]["Detection"]["model_name"] = "PicoDet_LCNet_x2_5_face"
    other["SubModules"]["Recognition"]["model_name"] = "MobileFaceNet"
    other.update(det_threshold="0.3", hamming_radius=2)
    del other["rec_topk"], other["index"]
    assert _params(other) == RetrievalParams(det_threshold=0.3, rec_threshold=0.4, rec_topk=5, hamming_radius=2)
    assert "hamming_radius" not in pipeline_recipe_for("PP-ShiTuV2").params(SHITU, SPECS)  # bundles stay as before


@pytest.mark.parametrize("change, message", [
    ({"index": "/data/index"}, "takes its index at run time"),
    ({"topk": 5}, "not read by PaddleX"),
    ({"rec_topk": 0}, "rec_topk must be a positive integer"),
    ({"rec_threshold": "high"}, "rec_threshold must be a number"),
])
def test_refusals(change, message):
    config = {**SHITU, **change}
    with pytest.raises(CompileError, match=message):
        _params(config)


def test_modules_must_be_a_detector_and_an_embedder():
    recipe = pipeline_recipe_for("face_recognition")
    with pytest.raises(CompileError, match="Detection must be a detection model"):
        recipe.params(FACE, {**SPECS, "det": {"postprocess": {"name": "InstanceSegPostProcess"}}})
    with pytest.raises(CompileError, match="Recognition must be an image feature model"):
        recipe.params(FACE, {**SPECS, "rec": {"postprocess": {"name": "Topk"}}})
    config = copy.deepcopy(FACE)
    del config["SubModules"]["Recognition"]
    with pytest.raises(CompileError, match="needs SubModules.Recognition"):
        recipe.modules_for(config)

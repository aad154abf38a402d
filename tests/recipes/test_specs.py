"""The per-family specs (hpi.core.specs): each recipe builds its family's record, and the record's
`to_dict()` is byte for byte what the recipe wrote into bundles before the specs were typed
(spec_golden.json, made from the dict-building recipes on spec_samples.py's configs)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from hpi.core.canonical import canonical_json
from hpi.core.errors import BundleError, CompileError
from hpi.core.specs import SPECS, OcrParams, spec_from_dict
from hpi.recipes import model_recipe_for, pipeline_recipe_for
from hpi.recipes.base import all_model_recipes

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spec_samples import samples  # noqa: E402

GOLDEN = json.loads(Path(__file__).with_name("spec_golden.json").read_text(encoding="utf-8"))
SAMPLES = samples()


@pytest.mark.parametrize("label, model_name, config", SAMPLES, ids=[s[0] for s in SAMPLES])
def test_spec_is_what_the_recipe_wrote_before(label, model_name, config):
    recipe = model_recipe_for(model_name)
    spec = recipe.runtime_spec(config)
    assert type(spec) is SPECS[recipe.family]
    assert canonical_json(spec.to_dict()) == canonical_json(GOLDEN[label])
    assert type(spec).from_dict(spec.to_dict()) == spec
    stored = json.loads(canonical_json(spec.to_dict()))  # as a bundle's manifest gives it back
    assert spec_from_dict(recipe.family, stored).to_dict() == stored


def test_every_recipe_has_a_sample():
    assert {model_recipe_for(name) for _, name, _ in SAMPLES} >= set(all_model_recipes())


def test_malformed_specs_are_bundle_errors():
    good = GOLDEN["text_det"]
    with pytest.raises(BundleError, match="no 'img_mode'"):
        spec_from_dict("text_detection", {k: v for k, v in good.items() if k != "img_mode"})
    with pytest.raises(BundleError, match="unknown 'extra'"):
        spec_from_dict("text_detection", {**good, "extra": 1})
    with pytest.raises(BundleError, match="postprocess.name"):
        spec_from_dict("text_detection", {**good, "postprocess": {**good["postprocess"], "name": "EAST"}})
    with pytest.raises(BundleError, match="not supported by this runtime"):
        spec_from_dict("keypoint_detection", good)


def test_ocr_params_unset_and_set():
    ocr = pipeline_recipe_for("OCR")
    bare = {"SubModules": {"TextDetection": {}, "TextRecognition": {}, "TextLineOrientation": {}}}
    assert ocr.params(bare, {"textline_ori": {}}) == {
        "text_det_limit_side_len": 960, "text_det_limit_type": "max", "text_det_max_side_limit": 4000,
        "text_det_thresh": 0.3, "text_det_box_thresh": 0.6, "text_det_unclip_ratio": 2.0,
        "text_rec_score_thresh": 0.0, "rec_batch_size": 1, "use_textline_orientation": True,
        "textline_orientation_batch_size": 1}
    given = {"use_textline_orientation": False, "SubModules": {
        "TextDetection": {"limit_side_len": 64, "limit_type": "min", "unclip_ratio": 1.5},
        "TextRecognition": {"batch_size": 6, "score_thresh": 0.5}}}
    params = ocr.params(given, {})
    assert canonical_json(params) == canonical_json({
        "text_det_limit_side_len": 64, "text_det_limit_type": "min", "text_det_max_side_limit": 4000,
        "text_det_thresh": 0.3, "text_det_box_thresh": 0.6, "text_det_unclip_ratio": 1.5,
        "text_rec_score_thresh": 0.5, "rec_batch_size": 6})


def test_ocr_params_with_the_optional_branches():
    ocr = pipeline_recipe_for("OCR")
    config = {"use_textline_orientation": True, "use_doc_preprocessor": True,
              "SubPipelines": {"DocPreprocessor": {"use_doc_unwarping": False}},
              "SubModules": {"TextDetection": {}, "TextRecognition": {}, "TextLineOrientation": {"batch_size": 3}}}
    params = ocr.params(config, {"textline_ori": {}, "doc_ori": {}})
    assert canonical_json(params) == canonical_json({
        "text_det_limit_side_len": 960, "text_det_limit_type": "max", "text_det_max_side_limit": 4000,
        "text_det_thresh": 0.3, "text_det_box_thresh": 0.6, "text_det_unclip_ratio": 2.0,
        "text_rec_score_thresh": 0.0, "rec_batch_size": 1, "use_textline_orientation": True,
        "textline_orientation_batch_size": 3, "use_doc_preprocessor": True, "use_doc_orientation_classify": True})
    assert OcrParams.from_dict(params).to_dict() == params
    config = {"use_textline_orientation": False, "use_doc_preprocessor": True,
              "SubPipelines": {"DocPreprocessor": {"use_doc_unwarping": False, "use_doc_orientation_classify": False}},
              "SubModules": {"TextDetection": {"thresh": 0.2}, "TextRecognition": {"score_thresh": 0.5}}}
    params = ocr.params(config, {})
    assert canonical_json(params) == canonical_json({
        "text_det_limit_side_len": 960, "text_det_limit_type": "max", "text_det_max_side_limit": 4000,
        "text_det_thresh": 0.2, "text_det_box_thresh": 0.6, "text_det_unclip_ratio": 2.0,
        "text_rec_score_thresh": 0.5, "rec_batch_size": 1, "use_doc_preprocessor": True,
        "use_doc_orientation_classify": False})
    assert OcrParams.from_dict(params).to_dict() == params
    with pytest.raises(BundleError, match="unknown 'text_det_tresh'"):
        OcrParams.from_dict({**params, "text_det_tresh": 0.3})


def test_ocr_return_word_box_from_the_config():
    """PaddleX reads SubModules.TextRecognition.return_word_box as the pipeline's default; the bundle keeps it
    only when true (bundles without it stay as they were)."""
    ocr = pipeline_recipe_for("OCR")
    config = {"use_textline_orientation": False,
              "SubModules": {"TextDetection": {}, "TextRecognition": {"return_word_box": True}}}
    params = ocr.params(config, {})
    assert params["return_word_box"] is True and OcrParams.from_dict(params).to_dict() == params
    config["SubModules"]["TextRecognition"]["return_word_box"] = False
    assert "return_word_box" not in ocr.params(config, {})
    config["SubModules"]["TextRecognition"]["return_word_box"] = "yes"
    with pytest.raises(CompileError, match="return_word_box must be true or false"):
        ocr.params(config, {})

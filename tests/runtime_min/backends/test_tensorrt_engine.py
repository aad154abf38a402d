"""The TensorRT engine helpers without a GPU: profiles from recipe shapes, engine keys, which TensorRT runs
an engine, the precision fallback. tests/gpu builds and runs engines for real where TensorRT and a GPU are."""

from __future__ import annotations

import pytest

from hpi.recipes.ocr import TextDetectionRecipe, TextRecognitionRecipe
from hpi.runtime_min.backends import tensorrt_engine as engines


def test_profile_from_recipe_shapes_and_bad_profiles():
    profile = engines.profile_from_shapes(TextRecognitionRecipe.default_profile)
    assert profile == {"x": {"min": [1, 3, 48, 160], "opt": [1, 3, 48, 320], "max": [8, 3, 48, 3200]}}
    with pytest.raises(ValueError, match="min <= opt <= max"):
        engines.profile_from_shapes({"x": ([1, 3, 64, 64], [1, 3, 32, 32], [1, 3, 128, 128])})
    with pytest.raises(ValueError, match="min <= opt <= max"):
        engines.profile_from_shapes({"x": ([1, 3, 32], [1, 3, 32, 32], [1, 3, 128, 128])})


def test_engine_key_changes_with_everything_that_invalidates_an_engine():
    profile = engines.profile_from_shapes(TextDetectionRecipe.default_profile)
    base = dict(onnx=b"model", tensorrt_version="10.13.0", compute_capability="9.0", precision="fp16",
                profile=profile)
    key = engines.EngineKey.of(**base).digest
    assert engines.EngineKey.of(**base).digest == key  # deterministic
    other_profile = engines.profile_from_shapes({"x": ([1, 3, 32, 32], [1, 3, 960, 960], [1, 3, 4000, 4000])})
    for change in (dict(onnx=b"model2"), dict(tensorrt_version="10.14.0"), dict(compute_capability="8.9"),
                   dict(precision="fp32"), dict(profile=other_profile)):
        assert engines.EngineKey.of(**{**base, **change}).digest != key, change
    assert engines.EngineKey.of(**base, version_compatible=True).digest != key
    with pytest.raises(ValueError, match="unknown TensorRT precision"):
        engines.EngineKey.of(**{**base, "precision": "int4"})


def test_which_tensorrt_runs_an_engine():
    assert engines.runs_here("10.13.0", "10.13.0", False)
    assert not engines.runs_here("10.13.0", "10.13.1", False)
    assert engines.runs_here("10.13.0", "10.14.1", True)  # version-compatible: same major, not older
    assert not engines.runs_here("10.13.0", "10.12.0", True)
    assert not engines.runs_here("10.13.0", "11.0.0", True)


def test_precision_falls_back_in_order_and_says_why():
    verdicts = {"fp16": "output 'x' diverged", "fp16_mixed": None, "fp32": None}
    tried = []

    def build_and_verify(precision):
        tried.append(precision)
        return verdicts[precision]

    assert engines.first_verified(engines.PRECISIONS, build_and_verify) == \
        ("fp16_mixed", ["fp16: output 'x' diverged"])
    assert tried == ["fp16", "fp16_mixed"]  # fp32 is not built once a precision passed
    with pytest.raises(ValueError, match="fp16: bad .* fp32: bad"):
        engines.first_verified(("fp16", "fp32"), lambda p: "bad")

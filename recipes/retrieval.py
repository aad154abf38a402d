"""PaddleX 3.7.2's retrieval pipelines: general image recognition (`PP-ShiTuV2`, pipelines/pp_shitu_v2/) and
`face_recognition` (pipelines/face_recognition/, a subclass of it).

SubModules.Detection (main-body detection PP-ShiTuV2_det, or a face detector such as PP-YOLOE_plus-S_face /
PicoDet_LCNet_x2_5_face) finds the boxes, SubModules.Recognition (PP-ShiTuV2_rec, or ResNet50_face /
MobileFaceNet) embeds each crop, and PaddleX's faiss index (runtime_min/ops/vector_index.py) names it. The
bundle holds the two models and the config's det_threshold, rec_threshold, rec_topk and hamming_radius; the
index is data that changes, so it comes at run time (`predict(input, index=DIR)`, `hpi-run --index DIR`) and a
config `index` other than None is refused with that fix. Any key PaddleX's pipeline does not read is refused.
"""

from __future__ import annotations

from ast import literal_eval

from hpi.core.errors import CompileError
from hpi.core.specs import RetrievalParams
from hpi.recipes.base import PipelineRecipe, register_pipeline
from hpi.recipes.detection import threshold_value
from hpi.recipes.seal import _MODULE, check_keys

# The config values PaddleX's ShiTuV2Pipeline takes when a key is left out.
DEFAULTS = {"det_threshold": 0.5, "rec_threshold": 0.5, "rec_topk": 5, "hamming_radius": None}


def _known_keys(pipeline: str) -> dict:
    return {"": ("pipeline_name", "index", *DEFAULTS, "SubModules"),
            "SubModules": ("Detection", "Recognition"),
            "SubModules.Detection": _MODULE, "SubModules.Recognition": _MODULE}


def _value(config: dict, key: str):
    """A top-level value as PaddleX's parse_config gives it: strings go through ast.literal_eval (so the stock
    `index: None` is None and `det_threshold: '0.6'` is 0.6), anything else as written."""
    value = config.get(key, DEFAULTS.get(key))
    if isinstance(value, str):
        try:
            value = literal_eval(value)
        except (ValueError, SyntaxError):
            pass
    return value


def _number(pipeline: str, key: str, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CompileError(f"{pipeline} {key} must be a number, got {value!r}")
    return value


class _RetrievalRecipe(PipelineRecipe):
    modules = {"Detection": "det", "Recognition": "rec"}

    @classmethod
    def modules_for(cls, config):
        check_keys(config, _known_keys(cls.name), cls.name)
        for key in cls.modules:
            if not (config.get("SubModules") or {}).get(key):
                raise CompileError(f"a {cls.name} config needs SubModules.{key} (model_name, model_dir)")
        return dict(cls.modules)

    @classmethod
    def params(cls, config, models):
        index = _value(config, "index")
        if index is not None:
            raise CompileError(f"{cls.name} index {index!r}: a bundle takes its index at run time, not from the "
                               "config; fix: set `index: None` and pass it as predict(input, index=DIR) or "
                               "hpi-run BUNDLE --index DIR (build one with `hpi-run BUNDLE --build-index ...`)")
        if (models["det"].get("postprocess") or {}).get("name") != "DetPostProcess":
            raise CompileError(f"{cls.name} SubModules.Detection must be a detection model (e.g. {cls.detector})")
        if (models["rec"].get("postprocess") or {}).get("name") != "NormalizeFeatures":
            raise CompileError(f"{cls.name} SubModules.Recognition must be an image feature model "
                               f"(e.g. {cls.embedder})")
        topk = _value(config, "rec_topk")
        if isinstance(topk, bool) or not isinstance(topk, int) or topk < 1:
            raise CompileError(f"{cls.name} rec_topk must be a positive integer, got {topk!r}")
        radius = _value(config, "hamming_radius")
        return RetrievalParams(
            det_threshold=threshold_value(_value(config, "det_threshold"), f"{cls.name} det_threshold"),
            rec_threshold=_number(cls.name, "rec_threshold", _value(config, "rec_threshold")),
            rec_topk=topk,
            hamming_radius=None if radius is None else _number(cls.name, "hamming_radius", radius),
        ).to_dict()


@register_pipeline
class ShiTuV2Recipe(_RetrievalRecipe):
    name = "PP-ShiTuV2"
    detector, embedder = "PP-ShiTuV2_det", "PP-ShiTuV2_rec"


@register_pipeline
class FaceRecognitionRecipe(_RetrievalRecipe):
    name = "face_recognition"
    detector, embedder = "PP-YOLOE_plus-S_face", "ResNet50_face"

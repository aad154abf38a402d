"""PaddleX 3.7.2's `doc_preprocessor` pipeline (pipelines/doc_preprocessor/pipeline.py) on its own:
[document orientation -> turn the image (rotate_image)] -> [unwarp it (UVDoc)], in PaddleX's
`DocPreprocessorResult` form: the JSON holds `input_path`, `page_index`, `model_settings` and `angle`;
`result["output_img"]` (and `rot_img`) are the images, BGR uint8, as PaddleX's result holds them.
"""

from __future__ import annotations

import copy

import cv2
import numpy as np

from hpi.core.errors import BundleError, UsageError
from hpi.core.specs import ImageClassificationSpec, ImageUnwarpingSpec
from hpi.runtime_min.ops import classification as cls_ops
from hpi.runtime_min.ops.unwarping import unwarp
from hpi.runtime_min.pipelines.ocr import rotate_image
from hpi.runtime_min.pipelines.pictures import save_panels

SWITCHES = ("use_doc_orientation_classify", "use_doc_unwarping")
_MODELS = {"use_doc_orientation_classify": ("doc_ori", ImageClassificationSpec, "document orientation"),
           "use_doc_unwarping": ("doc_unwarp", ImageUnwarpingSpec, "document unwarping")}


def doc_angle(img: np.ndarray, infer, spec: ImageClassificationSpec) -> int:
    """PaddleX's angle for a BGR image: its ClasPredictor (read as RGB), `int(label_names[0])` of the Topk."""
    x = cls_ops.preprocess(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), spec)[np.newaxis]
    _, _, names = cls_ops.topk(infer(x), int(spec.postprocess.topk), spec.postprocess.label_list)
    angle = int(names[0][0])
    if not 0 <= angle < 360:
        raise ValueError(f"the document orientation model gave angle {angle}; expected [0, 360)")
    return angle


class DocPreprocessorRunner:
    """`predict_one(image)` gives PaddleX's DocPreprocessorResult fields; `with_params` takes its
    per-call `use_doc_orientation_classify` / `use_doc_unwarping` (None: the bundle's)."""

    picture_key = "preprocessed_img"  # PaddleX's DocPreprocessorResult.img key

    def __init__(self, models: dict, params: dict):
        self.models = models  # switch -> loaded model, for the branches the bundle has
        self.params = dict(params)
        self.fonts = None

    def with_params(self, **call) -> "DocPreprocessorRunner":
        unknown = sorted(set(call) - set(SWITCHES))
        if unknown:
            raise UsageError(f"unknown predict parameter(s) {', '.join(unknown)} for the doc_preprocessor pipeline; "
                             f"accepted (PaddleX's names): {', '.join(SWITCHES)}")
        twin = copy.copy(self)
        twin.params = dict(self.params)
        for key, value in call.items():
            if value is None:
                continue
            if not isinstance(value, bool):
                raise UsageError(f"{key} must be True, False or None, got {value!r}")
            if value and key not in self.models:
                raise UsageError(f"{key}=True: this bundle has no {_MODELS[key][2]} model; fix: compile from a "
                                 f"config with {key}: True and its SubModules entry, or leave it unset")
            twin.params[key] = value
        return twin

    def predict_one(self, image: np.ndarray) -> dict:
        settings = {key: bool(self.params[key]) for key in SWITCHES}
        if settings["use_doc_orientation_classify"]:
            model = self.models["use_doc_orientation_classify"]
            angle = doc_angle(image, model, model.entry.spec)
            rot_img = rotate_image(image, angle)
        else:
            angle, rot_img = -1, image
        if settings["use_doc_unwarping"]:
            model = self.models["use_doc_unwarping"]
            output_img = unwarp(rot_img, model, model.entry.spec)
        else:
            output_img = rot_img
        return {"model_settings": settings, "angle": angle, "rot_img": rot_img, "output_img": output_img}

    def to_json(self, data: dict, input_path=None) -> dict:
        return {"input_path": input_path, "page_index": None, "model_settings": dict(data["model_settings"]),
                "angle": data["angle"]}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        save_panels(image, data, path, fonts or self.fonts)


def build(name: str, models: dict, params: dict) -> DocPreprocessorRunner:
    loaded = {}
    for switch in SWITCHES:
        if switch not in params or not isinstance(params[switch], bool):
            raise BundleError(f"the bundle's doc_preprocessor params lack {switch!r}; recompile it")
        role, spec_type, what = _MODELS[switch]
        model = models.get(role)
        if params[switch] and model is None:
            raise BundleError(f"the bundle's doc_preprocessor has {switch} but no {role!r} model")
        if model is not None:
            if not isinstance(model.entry.spec, spec_type):
                raise BundleError(f"the bundle's {role!r} model is not a {what} model")
            loaded[switch] = model
    return DocPreprocessorRunner(loaded, params)

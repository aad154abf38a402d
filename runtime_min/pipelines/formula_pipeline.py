"""PaddleX 3.7.2's formula_recognition pipeline (pipelines/formula_recognition/pipeline.py and result.py):
[document preprocessor: orientation, unwarping] -> [layout detection -> crop each `formula` box] -> the formula
model on each crop (or, without layout detection, on the whole page) -> FormulaRecognitionResult.

The page stages are the seal pipeline's (runtime_min/pipelines/seal.py: build_doc_layout, apply_doc_layout,
crop_by_box, page_pictures). Each box labelled "formula" (any case) is cut as PaddleX's `CropByBoxes` does and
read by the formula model (runtime_min/pipelines/formula_recognition.py); `formula_region_id` numbers a page's
formulas from 1 and `dt_polys` is the layout box's coordinate. PaddleX reads the crops in batches of the
module's batch_size; the graph decodes each image on its own, so one at a time gives the same tokens.
"""

from __future__ import annotations

import copy

import cv2
import numpy as np

from hpi.core.errors import BundleError, UsageError
from hpi.core.specs import FormulaPipelineParams
from hpi.runtime_min.ops.image_io import read_image
from hpi.runtime_min.pipelines import call_params
from hpi.runtime_min.pipelines.formula_recognition import FormulaRecognitionRunner
from hpi.runtime_min.pipelines.pictures import write_pictures
from hpi.runtime_min.pipelines.seal import apply_doc_layout, build_doc_layout, crop_by_box, page_pictures

__all__ = ["FormulaPipelineRunner", "build"]


class FormulaPipelineRunner:
    """`predict_one(image)` gives the fields of PaddleX's FormulaRecognitionResult: model_settings,
    doc_preprocessor_res (with the document preprocessor), layout_det_res (with layout detection) and
    formula_res_list (rec_formula, formula_region_id, and dt_polys for a layout box)."""

    fonts = None  # its pictures show no recognized text

    def __init__(self, formula: FormulaRecognitionRunner, doc=None, layout=None):
        self.formula, self.doc, self.layout = formula, doc, layout
        self.use_doc_preprocessor, self.use_layout_detection = doc is not None, layout is not None

    def with_params(self, **call) -> "FormulaPipelineRunner":
        """This pipeline with PaddleX's per-call `predict()` parameters applied (None: the bundle's value);
        UsageError names a parameter it does not take or a bad value."""
        try:
            doc_call, layout_call = call_params.split_formula(call)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        twin = copy.copy(self)
        apply_doc_layout("formula_recognition", self, twin, doc_call, layout_call)
        return twin

    def predict_one(self, image) -> dict:
        img = read_image(image)
        settings = {"use_doc_preprocessor": self.use_doc_preprocessor,
                    "use_layout_detection": self.use_layout_detection}
        doc_res = self.doc.predict_one(img) if self.use_doc_preprocessor else None
        page = doc_res["output_img"] if doc_res is not None else img
        formulas = []
        if not self.use_layout_detection:
            layout_res = {}
            formulas.append({**self.formula.predict_one(page), "formula_region_id": 1})
        else:
            layout_res = self.layout.predict_one(page)
            boxes = [box for box in layout_res["boxes"] if box["label"].lower() == "formula"]
            for region, box in enumerate(boxes, start=1):
                formulas.append({**self.formula.predict_one(crop_by_box(page, box)), "formula_region_id": region,
                                 "dt_polys": box["coordinate"]})
        return {"model_settings": settings, "doc_preprocessor_res": doc_res, "layout_det_res": layout_res,
                "page_img": page, "formula_res_list": formulas}

    def to_json(self, data: dict, input_path=None) -> dict:
        # PaddleX's _to_json: page_index as str(None); dt_polys wrapped in a 1-tuple, as its code writes it.
        out = {"input_path": None if input_path is None else str(input_path), "page_index": "None",
               "model_settings": dict(data["model_settings"])}
        if data["model_settings"]["use_doc_preprocessor"]:
            out["doc_preprocessor_res"] = self.doc.to_json(data["doc_preprocessor_res"])
        if data["layout_det_res"]:
            out["layout_det_res"] = self.layout.to_json(data["layout_det_res"])
        out["formula_res_list"] = []
        for formula in data["formula_res_list"]:
            item = {"rec_formula": formula["rec_formula"], "formula_region_id": formula["formula_region_id"]}
            if "dt_polys" in formula:
                item["dt_polys"] = [[float(v) for v in formula["dt_polys"]]]
            out["formula_res_list"].append(item)
        return out

    def named_pictures(self, data: dict, image: np.ndarray, fonts=None) -> list:
        """PaddleX's pictures: `preprocessed_img` and `layout_det_res` where those stages ran, and
        `formula_res_img`, which without a LaTeX toolchain (the case hpi matches) is the preprocessed page."""
        pictures = page_pictures(self, data, image, fonts)

        def page_img(target):
            if not cv2.imwrite(str(target), data["page_img"]):
                raise OSError(f"cannot write {target}")
        return [*pictures, ("formula_res_img", page_img)]

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        write_pictures(self.named_pictures(data, image, fonts), path)


def build(name: str, models: dict, params: dict):
    """A `formula_recognition` bundle's runner: this pipeline's (a `formula_rec` role), else the single formula
    model's (PaddleX names the module and the pipeline alike; the single model's role is `model`)."""
    if "model" in models:
        return FormulaRecognitionRunner.from_models(models)
    model = models.get("formula_rec")
    if model is None:
        raise BundleError(f"the bundle's formula_recognition pipeline has no 'formula_rec' model (roles: "
                          f"{', '.join(sorted(models))}); recompile it")
    settings = FormulaPipelineParams.from_dict(params, "pipeline.params")
    doc, layout = build_doc_layout("formula_recognition", models, settings)
    return FormulaPipelineRunner(FormulaRecognitionRunner(model, model.entry.spec), doc, layout)

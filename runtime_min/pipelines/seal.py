"""PaddleX 3.7.2's seal_recognition pipeline (pipelines/seal_recognition/pipeline.py and result.py):
[document preprocessor: orientation, unwarping] -> [layout detection -> crop each `seal` box] -> SealOCR on
each crop (or, without layout detection, on the whole image) -> SealRecognitionResult.

The document preprocessor is PaddleX's doc_preprocessor pipeline (pipelines/doc_preprocessor.py), layout
detection its DetPredictor (pipelines/detection.py) with the pipeline's post-processing settings. Each box
whose label is "seal" (any case) is cut from the preprocessed image as PaddleX's `CropByBoxes` does
(coordinates truncated to int, `img[y1:y2, x1:x2]`), and the SealOCR sub-pipeline reads every crop;
`seal_region_id` numbers an image's seal results from 1.

SealOCR is PaddleX's OCR pipeline with `text_type: seal` (pipelines/ocr/pipeline.py): the detector's
polygons (DBPostProcess box_type "poly") are ordered by their top edge (`SortPolyBoxes`), each is cropped
and straightened by `CropByPolys(det_box_type="poly")` (ops/seal_crop.py), and `rec_boxes` is empty.
"""

from __future__ import annotations

import copy
from dataclasses import fields, replace

import numpy as np

from hpi.core.errors import BundleError, UsageError
from hpi.core.specs import DetectionSpec, OcrParams, SealParams
from hpi.runtime_min.ops.image_io import read_image
from hpi.runtime_min.pipelines import call_params, doc_preprocessor, ocr_result
from hpi.runtime_min.pipelines.detection import DetectionRunner
from hpi.runtime_min.pipelines.fonts import FontChooser
from hpi.runtime_min.pipelines.ocr import OcrRunner
from hpi.runtime_min.pipelines.pictures import write_pictures

__all__ = ["SealOcrRunner", "SealRecognitionRunner", "sort_poly_boxes"]


def sort_poly_boxes(dt_polys) -> list:
    """PaddleX `SortPolyBoxes`: by each polygon's smallest y, numpy's default argsort (not stable for
    more than 16 boxes, as in PaddleX)."""
    if len(dt_polys) == 0:
        return dt_polys
    rank = np.argsort(np.array([min(poly[:, 1]) for poly in dt_polys]))
    return [dt_polys[i] for i in rank]


def _poly_crop(img: np.ndarray, poly) -> np.ndarray:
    from hpi.runtime_min.ops.seal_crop import poly_crop

    return poly_crop(img, poly)


def _no_boxes(polys) -> np.ndarray:
    return np.array([])


class SealOcrRunner(OcrRunner):
    """PaddleX's OCR pipeline with `text_type: seal` (the seal pipeline's SealOCR)."""

    text_type = "seal"
    box_type = "poly"
    sort_boxes = staticmethod(sort_poly_boxes)
    crop = staticmethod(_poly_crop)
    rec_boxes = staticmethod(_no_boxes)


def crop_by_box(img: np.ndarray, box: dict) -> np.ndarray:
    """PaddleX's `CropByBoxes` for one layout box: its coordinate truncated to int, `img[y1:y2, x1:x2]`."""
    xmin, ymin, xmax, ymax = [int(v) for v in box["coordinate"]]
    return img[ymin:ymax, xmin:xmax].copy()


# The layout post-processing settings a call may change: parameter -> DetPostProcessSpec field.
_LAYOUT_FIELDS = {"layout_threshold": "threshold", "layout_nms": "layout_nms",
                  "layout_unclip_ratio": "layout_unclip_ratio", "layout_merge_bboxes_mode": "layout_merge_bboxes_mode"}


class SealRecognitionRunner:
    """`predict_one(image)` gives the fields of PaddleX's SealRecognitionResult: model_settings,
    doc_preprocessor_res (with the document preprocessor), layout_det_res (with layout detection), seal_res_list
    (one SealOCR result per seal box, or one of the whole image without layout detection)."""

    def __init__(self, ocr: SealOcrRunner, doc: doc_preprocessor.DocPreprocessorRunner | None = None,
                 layout: DetectionRunner | None = None):
        self.ocr, self.doc, self.layout = ocr, doc, layout
        # What runs (the bundle's branches unless a call changes it; PaddleX's get_model_settings).
        self.use_doc_preprocessor, self.use_layout_detection = doc is not None, layout is not None

    @property
    def fonts(self) -> FontChooser | None:
        return self.ocr.fonts

    @fonts.setter
    def fonts(self, value: FontChooser | None) -> None:
        self.ocr.fonts = value

    def with_params(self, **call) -> "SealRecognitionRunner":
        """This pipeline with PaddleX's per-call `predict()` parameters applied (None: the bundle's value);
        UsageError names a parameter it does not take or a bad value."""
        try:
            doc_call, layout_call, ocr_call = call_params.split_seal(call)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        try:
            ocr = self.ocr.with_params(**ocr_call)
        except UsageError as exc:  # say it in the names the caller used
            message = str(exc)
            for seal, text in call_params.SEAL_TO_OCR.items():
                message = message.replace(text, seal)
            raise UsageError(message) from None
        twin = copy.copy(self)
        twin.ocr = ocr
        apply_doc_layout("seal_recognition", self, twin, doc_call, layout_call)
        return twin

    def predict_one(self, image) -> dict:
        img = read_image(image)
        settings = {"use_doc_preprocessor": self.use_doc_preprocessor,
                    "use_layout_detection": self.use_layout_detection}
        doc_res = self.doc.predict_one(img) if self.use_doc_preprocessor else None
        page = doc_res["output_img"] if doc_res is not None else img
        if not self.use_layout_detection:
            layout_res, crops = {}, [page]
        else:
            layout_res = self.layout.predict_one(page)
            crops = [crop_by_box(page, box) for box in layout_res["boxes"] if box["label"].lower() == "seal"]
        seals = []
        for region, crop in enumerate(crops, start=1):
            seal = self.ocr.predict_one(crop)
            seal["seal_region_id"] = region
            seals.append(seal)
        return {"model_settings": settings, "doc_preprocessor_res": doc_res, "layout_det_res": layout_res,
                "page_img": page, "seal_imgs": crops, "seal_res_list": seals}

    def to_json(self, data: dict, input_path=None) -> dict:
        # PaddleX hands its sub-pipelines and the layout model image arrays: their results have no path or page.
        out = {"input_path": None if input_path is None else str(input_path), "page_index": None,
               "model_settings": dict(data["model_settings"])}
        if data["model_settings"]["use_doc_preprocessor"]:
            out["doc_preprocessor_res"] = self.doc.to_json(data["doc_preprocessor_res"])
        if data["layout_det_res"]:
            out["layout_det_res"] = self.layout.to_json(data["layout_det_res"])
        out["seal_res_list"] = [ocr_result.to_json_dict(seal) for seal in data["seal_res_list"]]
        return out

    def named_pictures(self, data: dict, image: np.ndarray, fonts: FontChooser | None = None) -> list:
        """PaddleX's pictures, (key, draw(target)) each: `layout_det_res` (the layout boxes on the preprocessed
        image), `preprocessed_img` (the document preprocessor's panels), `seal_res_region<id>` (each seal
        region's OCR picture on its crop)."""
        fonts = fonts or self.ocr.fonts
        pictures = page_pictures(self, data, image, fonts)
        for seal, crop in zip(data["seal_res_list"], data["seal_imgs"]):
            pictures.append((f"seal_res_region{seal['seal_region_id']}",
                             lambda target, seal=seal, crop=crop: ocr_result.save_visualization(
                                 seal, crop, target, fonts=fonts)))
        return pictures

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts: FontChooser | None = None) -> None:
        write_pictures(self.named_pictures(data, image, fonts), path)


def page_pictures(runner, data: dict, image: np.ndarray, fonts: FontChooser | None) -> list:
    """(name, draw(target)) for the pictures of the page stages a runner with `doc` and `layout` ran: PaddleX's
    `layout_det_res` and `preprocessed_img`; shared by the seal and table recognition pipelines."""
    pictures = []
    if data["layout_det_res"]:
        pictures.append(("layout_det_res", lambda target: runner.layout.save_visualization(
            data["layout_det_res"], data["page_img"], target)))
    if data["model_settings"]["use_doc_preprocessor"]:
        pictures.append(("preprocessed_img", lambda target: runner.doc.save_visualization(
            data["doc_preprocessor_res"], image, target, fonts=fonts)))
    return pictures


def apply_doc_layout(pipeline: str, self, twin, doc_call: dict, layout_call: dict) -> None:
    """Apply a call's document preprocessor switches and layout parameters (call_params._check_layout's
    form) of `self` (a runner with `doc`, `layout` and their use_* flags) to its copy `twin`; shared by the
    seal and table recognition pipelines. UsageError names a switch the bundle has no model for."""
    # PaddleX's get_model_settings: either switch given, the preprocessor runs only if one is True.
    if doc_call:
        twin.use_doc_preprocessor = any(doc_call.values())
        if twin.use_doc_preprocessor and self.doc is None:
            given = next(k for k, v in doc_call.items() if v)
            raise UsageError(f"{given}=True: this bundle's {pipeline} pipeline has no document "
                             "preprocessor; fix: compile from a config with use_doc_preprocessor: True and "
                             "SubPipelines.DocPreprocessor, or leave it unset")
        if twin.use_doc_preprocessor:
            twin.doc = self.doc.with_params(**doc_call)
    use_layout = layout_call.pop("use_layout_detection", None)
    if use_layout is not None:
        if use_layout and self.layout is None:
            raise UsageError(f"use_layout_detection=True: this bundle's {pipeline} pipeline has no layout "
                             "detection model; fix: compile from a config with use_layout_detection: True and "
                             "SubModules.LayoutDetection, or leave it unset")
        twin.use_layout_detection = use_layout
    if layout_call and self.layout is not None:
        post = self.layout.post
        # PaddleX's DetPredictor.process: a given threshold replaces the pipeline's; the other three
        # apply only when truthy (`value or the pipeline's`).
        changes = {_LAYOUT_FIELDS[k]: v for k, v in layout_call.items() if k == "layout_threshold" or v}
        spec = replace(self.layout.spec, postprocess=replace(post, **changes))
        twin.layout = DetectionRunner(self.layout.model, spec)


# The OcrParams fields that are the seal pipeline's own branches, not its SealOCR's.
_OWN = ("use_doc_preprocessor", "use_doc_orientation_classify", "use_doc_unwarping")


def build_doc_layout(pipeline: str, models: dict, params: SealParams):
    """(document preprocessor runner or None, layout DetectionRunner or None) of a bundle whose params
    (SealParams or a subclass) say which branches are on; shared by the seal and table recognition pipelines."""
    seal = params
    doc = None
    if seal.use_doc_preprocessor:
        doc = doc_preprocessor.build("doc_preprocessor", {role: models[role] for role in ("doc_ori", "doc_unwarp")
                                                          if role in models},
                                     {"use_doc_orientation_classify": bool(seal.use_doc_orientation_classify),
                                      "use_doc_unwarping": bool(seal.use_doc_unwarping)})
    layout = None
    if seal.use_layout_detection:
        model = models.get("layout_det")
        if model is None or not isinstance(model.entry.spec, DetectionSpec):
            raise BundleError(f"the bundle's {pipeline} pipeline has use_layout_detection but no 'layout_det' "
                              "detection model")
        spec = model.entry.spec
        layout = DetectionRunner(model, replace(spec, postprocess=replace(
            spec.postprocess, threshold=seal.layout_threshold, layout_nms=bool(seal.layout_nms),
            layout_unclip_ratio=seal.layout_unclip_ratio, layout_merge_bboxes_mode=seal.layout_merge_bboxes_mode)))
    return doc, layout


def build(name: str, models: dict, params: dict) -> SealRecognitionRunner:
    det, rec = models["text_det"].entry.spec, models["text_rec"].entry.spec
    post = det.postprocess
    if post.box_type != "poly":
        raise BundleError("the bundle's seal_recognition pipeline needs a polygon text detector (box_type poly)")
    seal = SealParams.from_dict(params, "pipeline.params")
    ocr_keys = {f.name for f in fields(OcrParams)} - set(_OWN)
    ocr_params = {
        **{k: v for k, v in seal.to_dict().items() if k in ocr_keys},
        "det_mean": det.normalize.mean, "det_std": det.normalize.std,
        "det_scale": det.normalize.scale, "det_img_mode": det.img_mode,
        "rec_image_shape": rec.rec_image_shape, "rec_img_mode": rec.img_mode,
        "max_candidates": post.max_candidates, "use_dilation": post.use_dilation, "score_mode": post.score_mode,
        "box_type": post.box_type,
    }
    ocr = SealOcrRunner(models["text_det"], models["text_rec"], rec.postprocess.character_list, ocr_params,
                        display_order=rec.postprocess.display_order)
    doc, layout = build_doc_layout("seal_recognition", models, seal)
    return SealRecognitionRunner(ocr, doc, layout)

"""PaddleX 3.7.2's seal_recognition pipeline (pipelines/seal_recognition/pipeline.py) without layout
detection and without the document preprocessor: the whole image goes to its SealOCR sub-pipeline,
PaddleX's OCR pipeline with `text_type: seal`, whose one result is the image's only seal region.

What `text_type: seal` changes in the OCR pipeline (pipelines/ocr/pipeline.py): the detector's polygons
(DBPostProcess box_type "poly") are ordered by their top edge (`SortPolyBoxes`), each is cropped and
straightened by `CropByPolys(det_box_type="poly")` (ops/seal_crop.py), and `rec_boxes` is empty.
"""

from __future__ import annotations

import copy

import numpy as np

from hpi.core.errors import BundleError, UsageError
from hpi.core.specs import OcrParams
from hpi.runtime_min.ops.image_io import read_image
from hpi.runtime_min.pipelines import call_params, ocr_result
from hpi.runtime_min.pipelines.fonts import FontChooser
from hpi.runtime_min.pipelines.ocr import OcrRunner

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


class SealRecognitionRunner:
    """`predict_one(image)` gives the fields of PaddleX's SealRecognitionResult (layout detection and
    the document preprocessor off): model_settings, layout_det_res ({}), seal_res_list (one OCR result
    of the whole image, `seal_region_id` 1)."""

    def __init__(self, ocr: SealOcrRunner):
        self.ocr = ocr

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
            ocr_call = call_params.seal_to_ocr(call)
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
        return twin

    def predict_one(self, image) -> dict:
        img = read_image(image)
        seal = self.ocr.predict_one(img)
        seal["seal_region_id"] = 1
        return {"model_settings": {"use_doc_preprocessor": False, "use_layout_detection": False},
                "layout_det_res": {}, "seal_res_list": [seal]}

    def to_json(self, data: dict, input_path=None) -> dict:
        # PaddleX hands the SealOCR sub-pipeline image arrays: its results have no path or page.
        return {"input_path": None if input_path is None else str(input_path), "page_index": None,
                "model_settings": dict(data["model_settings"]),
                "seal_res_list": [ocr_result.to_json_dict(seal) for seal in data["seal_res_list"]]}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts: FontChooser | None = None) -> None:
        """PaddleX's `seal_res_region<id>` picture of each seal region (the OCR picture); with one region,
        the one picture at `path`."""
        from pathlib import Path

        path = Path(path)
        for seal in data["seal_res_list"]:
            target = path if len(data["seal_res_list"]) == 1 else \
                path.with_name(f"{path.stem}_seal_res_region{seal['seal_region_id']}{path.suffix}")
            ocr_result.save_visualization(seal, image, target, fonts=fonts or self.ocr.fonts)


def build(name: str, models: dict, params: dict) -> SealRecognitionRunner:
    det, rec = models["text_det"].entry.spec, models["text_rec"].entry.spec
    post = det.postprocess
    if post.box_type != "poly":
        raise BundleError("the bundle's seal_recognition pipeline needs a polygon text detector (box_type poly)")
    params = {
        **OcrParams.from_dict(params, "pipeline.params").to_dict(),
        "det_mean": det.normalize.mean, "det_std": det.normalize.std,
        "det_scale": det.normalize.scale, "det_img_mode": det.img_mode,
        "rec_image_shape": rec.rec_image_shape, "rec_img_mode": rec.img_mode,
        "max_candidates": post.max_candidates, "use_dilation": post.use_dilation, "score_mode": post.score_mode,
        "box_type": post.box_type,
    }
    return SealRecognitionRunner(SealOcrRunner(models["text_det"], models["text_rec"],
                                               rec.postprocess.character_list, params))

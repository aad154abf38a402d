"""PaddleX 3.7.2's serving routes for the document pipelines (serving/schemas/*.py, basic_serving/_pipeline_apps/):
`/seal-recognition`, `/table-recognition` (v1 and v2), `/formula-recognition`, `/layout-parsing` (PP-StructureV3)
and `/document-preprocessing`.

Each takes the `file` / `fileType` request of the OCR route with its pipeline's per-call parameters (PaddleX's
camelCase names, handed on under its predict names) and answers `{<pipeline>Results: [...], dataInfo}`, one item
per page: `prunedResult` (the result JSON without input_path / page_index), and when visualized `outputImages`
(the result's pictures by PaddleX's keys) and `inputImage`, Base64 JPEG at most 2000 x 2000. PaddleX's routes
hand every schema field to predict, defaults included (table v2's switches, PP-StructureV3's table switches), so
hpi does too. `/layout-parsing` adds `markdown` {text, images (Base64 JPEG by relative path), isStart, isEnd};
`/document-preprocessing` the preprocessed page as `outputImage` (Base64 PNG, lossless).
"""

from __future__ import annotations

import base64
from functools import partial
from typing import Literal, Optional, Tuple, Union

import cv2
import numpy as np
from pydantic import BaseModel

from hpi.runtime_min.serving.files import RequestError
from hpi.runtime_min.serving.routes import Route, fit, jpeg_base64, pil_to_bgr, prune, read_images


class FileRequest(BaseModel):
    """PaddleX's schemas.shared.ocr.BaseInferRequest: these routes take no logId (PaddleX makes one up)."""

    file: str
    fileType: Optional[Literal[0, 1]] = None
    visualize: Optional[bool] = None


class _DocSwitches(FileRequest):
    useDocOrientationClassify: Optional[bool] = None
    useDocUnwarping: Optional[bool] = None


class _Layout(_DocSwitches):
    useLayoutDetection: Optional[bool] = None
    layoutThreshold: Optional[Union[float, dict]] = None
    layoutNms: Optional[bool] = None
    layoutUnclipRatio: Optional[Union[float, Tuple[float, float]]] = None
    layoutMergeBboxesMode: Optional[str] = None


class SealRequest(_Layout):
    sealDetLimitSideLen: Optional[int] = None
    sealDetLimitType: Optional[str] = None
    sealDetThresh: Optional[float] = None
    sealDetBoxThresh: Optional[float] = None
    sealDetUnclipRatio: Optional[float] = None
    sealRecScoreThresh: Optional[float] = None


class FormulaRequest(_Layout):
    pass


class _TextDet(_DocSwitches):
    textDetLimitSideLen: Optional[int] = None
    textDetLimitType: Optional[str] = None
    textDetThresh: Optional[float] = None
    textDetBoxThresh: Optional[float] = None
    textDetUnclipRatio: Optional[float] = None
    textRecScoreThresh: Optional[float] = None


class TableRequest(_TextDet):
    useLayoutDetection: Optional[bool] = None
    useOcrModel: Optional[bool] = None
    useOcrResultsWithTableCells: bool = False


class TableV2Request(_TextDet):
    useLayoutDetection: Optional[bool] = None
    useOcrModel: Optional[bool] = None
    useE2eWiredTableRecModel: bool = False
    useE2eWirelessTableRecModel: bool = False
    useWiredTableCellsTransToHtml: bool = False
    useWirelessTableCellsTransToHtml: bool = False
    useTableOrientationClassify: bool = True
    useOcrResultsWithTableCells: bool = True


class LayoutParsingRequest(_TextDet):
    """PaddleX's schemas.pp_structurev3.InferRequest (its `outputFormats` export, docx, is refused)."""

    logId: Optional[str] = None
    outputFormats: Optional[list[str]] = None
    useTextlineOrientation: Optional[bool] = None
    useSealRecognition: Optional[bool] = None
    useTableRecognition: Optional[bool] = None
    useFormulaRecognition: Optional[bool] = None
    useChartRecognition: Optional[bool] = None
    useRegionDetection: Optional[bool] = None
    formatBlockContent: Optional[bool] = None
    layoutThreshold: Optional[Union[float, dict]] = None
    layoutNms: Optional[bool] = None
    layoutUnclipRatio: Optional[Union[float, Tuple[float, float], dict]] = None
    layoutMergeBboxesMode: Optional[Union[str, dict]] = None
    sealDetLimitSideLen: Optional[int] = None
    sealDetLimitType: Optional[str] = None
    sealDetThresh: Optional[float] = None
    sealDetBoxThresh: Optional[float] = None
    sealDetUnclipRatio: Optional[float] = None
    sealRecScoreThresh: Optional[float] = None
    useWiredTableCellsTransToHtml: bool = False
    useWirelessTableCellsTransToHtml: bool = False
    useTableOrientationClassify: bool = True
    useOcrResultsWithTableCells: bool = True
    useE2eWiredTableRecModel: bool = False
    useE2eWirelessTableRecModel: bool = True
    markdownIgnoreLabels: Optional[list[str]] = None
    prettifyMarkdown: bool = True
    showFormulaNumber: bool = False
    returnMarkdownImages: bool = True


class DocPreprocessingRequest(_DocSwitches):
    pass


def snake(name: str) -> str:
    """PaddleX's predict name of a request field: textDetLimitSideLen -> text_det_limit_side_len."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


# Request fields that are not predict parameters.
_NOT_PARAMS = ("file", "fileType", "visualize", "logId", "outputFormats", "prettifyMarkdown", "showFormulaNumber",
               "returnMarkdownImages")


def predict_params(request: BaseModel) -> dict:
    """The request's per-call parameters under PaddleX's predict names (None: the bundle's value)."""
    fields = type(request).model_fields
    return {snake(name): getattr(request, name) for name in fields if name not in _NOT_PARAMS}


def _pictures(result, image: np.ndarray) -> dict:
    return {"inputImage": jpeg_base64(image),
            "outputImages": {key: jpeg_base64(pil_to_bgr(picture)) for key, picture in result.pictures().items()}}


def _item(request, result, image: np.ndarray, show: bool) -> dict:
    """PaddleX's {prunedResult, outputImages, inputImage} (the seal, table and formula routes)."""
    return {"prunedResult": prune(result.to_dict()), **(_pictures(result, image) if show else {})}


def _layout_parsing_item(request: LayoutParsingRequest, result, image: np.ndarray, show: bool) -> dict:
    """PP-StructureV3's item: the page's Markdown beside the pictures (PaddleX's _to_markdown, images as JPEG)."""
    markdown = result.markdown(pretty=request.prettifyMarkdown, show_formula_number=request.showFormulaNumber)
    flags = markdown["page_continuation_flags"]
    md = {"text": markdown["markdown_texts"], "isStart": flags[0], "isEnd": flags[1]}
    if request.returnMarkdownImages:
        md["images"] = {path: _encode(pil_to_bgr(picture), path) for path, picture in markdown["markdown_images"].items()}
    return {**_item(request, result, image, show), "markdown": md}


def _doc_preprocessing_item(request, result, image: np.ndarray, show: bool) -> dict:
    item = {"outputImage": _encode(result["output_img"], "output_img.png"), "prunedResult": prune(result.to_dict())}
    if show:
        item.update(docPreprocessingImage=jpeg_base64(pil_to_bgr(result.pictures()["preprocessed_img"])),
                    inputImage=jpeg_base64(image))
    return item


def _encode(image: np.ndarray, name: str) -> str:
    """PaddleX's postprocess_image for a named file: shrunk to 2000 x 2000, encoded by the name's extension."""
    if name.lower().endswith((".jpg", ".jpeg")):
        return jpeg_base64(image)
    ext = "." + name.rsplit(".", 1)[-1]
    return base64.b64encode(cv2.imencode(ext, fit(image))[1].tobytes()).decode("ascii")


async def _document(pipeline, request, admission, limits, visualize: bool, *, results_key: str, item) -> dict:
    if getattr(request, "outputFormats", None):
        raise RequestError(422, "outputFormats (docx export) is not supported by hpi serve; leave it out and "
                                "build documents from the Markdown")
    images, data_info = await read_images(request, limits)
    params = {k: v for k, v in predict_params(request).items() if v is not None}
    show = request.visualize if request.visualize is not None else visualize

    def infer():
        from hpi.core.errors import UsageError

        out = []
        for image in images:
            try:
                result = pipeline.predict_one(image, **params)
            except UsageError as exc:
                raise RequestError(422, str(exc)) from None
            out.append(item(request, result, image, show))
        return out

    return {results_key: await admission.run(infer), "dataInfo": data_info}


def _route(path: str, request_model: type, results_key: str, item=_item) -> Route:
    return Route(path, request_model, partial(_document, results_key=results_key, item=item))


ROUTES = {
    "seal_recognition": _route("/seal-recognition", SealRequest, "sealRecResults"),
    "table_recognition": _route("/table-recognition", TableRequest, "tableRecResults"),
    "table_recognition_v2": _route("/table-recognition", TableV2Request, "tableRecResults"),
    "formula_recognition": _route("/formula-recognition", FormulaRequest, "formulaRecResults"),
    "PP-StructureV3": _route("/layout-parsing", LayoutParsingRequest, "layoutParsingResults", _layout_parsing_item),
    "doc_preprocessor": _route("/document-preprocessing", DocPreprocessingRequest, "docPreprocessingResults",
                               _doc_preprocessing_item),
}

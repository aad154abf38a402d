"""PaddleX 3.7.2's serving routes, one per pipeline (serving/schemas/*.py, basic_serving/_pipeline_apps/*.py):
the request fields (camelCase, as PaddleX's schema) mapped to the pipeline's per-call parameters, and the
result built as PaddleX builds it: `prunedResult` (the result JSON without input_path / page_index), the
pictures as Base64 JPEG (at most 2000 x 2000, PaddleX's default) when `visualize`, and `dataInfo`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Callable, Literal, Optional

import cv2
import numpy as np
from pydantic import BaseModel

from hpi.runtime_min.serving.files import RequestError, decode_image, file_type, raw_bytes

MAX_OUTPUT_IMG_SIZE = (2000, 2000)  # PaddleX's DEFAULT_MAX_OUTPUT_IMG_SIZE


class BaseInferRequest(BaseModel):
    file: str
    fileType: Optional[Literal[0, 1]] = None
    logId: Optional[str] = None
    visualize: Optional[bool] = None


class OcrRequest(BaseInferRequest):
    useDocOrientationClassify: Optional[bool] = None
    useDocUnwarping: Optional[bool] = None
    useTextlineOrientation: Optional[bool] = None
    textDetLimitSideLen: Optional[int] = None
    textDetLimitType: Optional[str] = None
    textDetThresh: Optional[float] = None
    textDetBoxThresh: Optional[float] = None
    textDetUnclipRatio: Optional[float] = None
    textRecScoreThresh: Optional[float] = None
    returnWordBox: Optional[bool] = None


def prune(obj):
    """PaddleX's prune_result: input_path and page_index left out at every level."""
    if isinstance(obj, dict):
        return {k: prune(v) for k, v in obj.items() if k not in ("input_path", "page_index")}
    if isinstance(obj, list):
        return [prune(v) for v in obj]
    return obj


def fit(image: np.ndarray) -> np.ndarray:
    """PaddleX's postprocess_image: shrunk to fit MAX_OUTPUT_IMG_SIZE."""
    h, w = image.shape[:2]
    if w > MAX_OUTPUT_IMG_SIZE[1] or h > MAX_OUTPUT_IMG_SIZE[0]:
        factor = MAX_OUTPUT_IMG_SIZE[0] / w if w / h > MAX_OUTPUT_IMG_SIZE[0] / MAX_OUTPUT_IMG_SIZE[1] \
            else MAX_OUTPUT_IMG_SIZE[1] / h
        image = cv2.resize(image, (int(factor * w), int(factor * h)))
    return image


def jpeg_base64(image: np.ndarray) -> str:
    """PaddleX's postprocess_image: shrunk to fit MAX_OUTPUT_IMG_SIZE, JPEG, Base64."""
    return base64.b64encode(cv2.imencode(".jpg", fit(image))[1].tobytes()).decode("ascii")


def pil_to_bgr(img) -> np.ndarray:
    return cv2.cvtColor(np.array(img.convert("RGB")), cv2.COLOR_RGB2BGR)


async def read_images(request: BaseInferRequest, limits) -> tuple[list[np.ndarray], dict]:
    """The request's image(s) and PaddleX's dataInfo. PDF needs page rendering hpi does not carry."""
    kind = file_type(request.file, request.fileType)
    if kind == "PDF":
        raise RequestError(422, "PDF input is not supported by hpi serve; send each page as an image (fileType 1)")
    image = decode_image(await raw_bytes(request.file, limits.max_body_bytes, limits.url_timeout))
    return [image], {"width": image.shape[1], "height": image.shape[0], "type": "image"}


async def _ocr(pipeline, request: OcrRequest, admission, limits, visualize: bool) -> dict:
    images, data_info = await read_images(request, limits)
    params = dict(use_doc_orientation_classify=request.useDocOrientationClassify,
                  use_doc_unwarping=request.useDocUnwarping,
                  use_textline_orientation=request.useTextlineOrientation,
                  text_det_limit_side_len=request.textDetLimitSideLen,
                  text_det_limit_type=request.textDetLimitType, text_det_thresh=request.textDetThresh,
                  text_det_box_thresh=request.textDetBoxThresh, text_det_unclip_ratio=request.textDetUnclipRatio,
                  text_rec_score_thresh=request.textRecScoreThresh, return_word_box=request.returnWordBox)
    show = request.visualize if request.visualize is not None else visualize

    def infer():
        from hpi.core.errors import UsageError

        out = []
        for image in images:
            try:
                result = pipeline.predict_one(image, **{k: v for k, v in params.items() if v is not None})
            except UsageError as exc:
                raise RequestError(422, str(exc)) from None
            item = {"prunedResult": prune(result.to_dict()), "ocrImage": None, "docPreprocessingImage": None,
                    "inputImage": None}
            if show:
                pictures = result.pictures()
                item.update(inputImage=jpeg_base64(image), ocrImage=jpeg_base64(pil_to_bgr(pictures["ocr_res_img"])))
                if "preprocessed_img" in pictures:
                    item["docPreprocessingImage"] = jpeg_base64(pil_to_bgr(pictures["preprocessed_img"]))
            out.append({k: v for k, v in item.items() if v is not None})  # PaddleX: response_model_exclude_none
        return out

    return {"ocrResults": await admission.run(infer), "dataInfo": data_info}


class ImageRequest(BaseModel):
    """The vision routes' request: `image` (Base64 or URL), no fileType (PaddleX's)."""

    image: str
    logId: Optional[str] = None
    visualize: Optional[bool] = None


class ClassificationRequest(ImageRequest):
    topk: Optional[int] = None


class DetectionRequest(ImageRequest):
    threshold: Optional[float | dict[int, float]] = None


def _bgr_jpeg(picture) -> str:
    """/image-classification and /object-detection: the PIL picture encoded by OpenCV."""
    return jpeg_base64(pil_to_bgr(picture))


async def _predict_image(pipeline, request: ImageRequest, admission, limits, visualize: bool, encode=_bgr_jpeg,
                         **params):
    """The vision routes' common path: the image, one prediction with the given per-call parameters, and the
    result's `res` picture (Base64 JPEG, `encode`d from PIL) when visualized: (result JSON, picture or None)."""
    image = decode_image(await raw_bytes(request.image, limits.max_body_bytes, limits.url_timeout))
    show = request.visualize if request.visualize is not None else visualize

    def infer():
        from hpi.core.errors import UsageError

        try:
            result = pipeline.predict_one(image, **{k: v for k, v in params.items() if v is not None})
        except UsageError as exc:
            raise RequestError(422, str(exc)) from None
        return result.to_dict(), (encode(result.pictures()["res"]) if show else None)

    return await admission.run(infer)


def _picture(result: dict, picture) -> dict:
    return result if picture is None else {**result, "image": picture}


async def _classification(pipeline, request: ClassificationRequest, admission, limits, visualize: bool) -> dict:
    result, picture = await _predict_image(pipeline, request, admission, limits, visualize, topk=request.topk)
    # The result's class_ids are PaddleX's [[...]] (its ClasPredictor's batch quirk, kept in the JSON); PaddleX
    # 3.7.2's own route passes that nested list as each id and answers 500. The route means the flat ids.
    ids = result["class_ids"][0] if result["class_ids"] and isinstance(result["class_ids"][0], list) \
        else result["class_ids"]
    names = result.get("label_names") or [str(i) for i in ids]
    return _picture({"categories": [{"id": i, "name": n, "score": s} for i, n, s in zip(ids, names, result["scores"])]},
                    picture)


async def _detection(pipeline, request: DetectionRequest, admission, limits, visualize: bool) -> dict:
    result, picture = await _predict_image(pipeline, request, admission, limits, visualize,
                                           threshold=request.threshold)
    return _picture({"detectedObjects": [{"bbox": box["coordinate"], "categoryId": box["cls_id"],
                                          "categoryName": box["label"], "score": box["score"]}
                                         for box in result["boxes"]]}, picture)


class MultilabelRequest(ImageRequest):
    threshold: Optional[float | dict[Literal["default"] | int, float] | list[float]] = None


class SegmentationRequest(ImageRequest):
    targetSize: Optional[int | tuple[int, int]] = None


class InstanceSegmentationRequest(ImageRequest):
    threshold: Optional[float] = None


def _rgb_jpeg(picture) -> str:
    """PaddleX's vision routes: the PIL picture saved as JPEG by PIL (image_to_bytes), not by OpenCV."""
    import io

    with io.BytesIO() as buffer:
        picture.convert("RGB").save(buffer, format="JPEG")
        return base64.b64encode(buffer.getvalue()).decode("ascii")


async def _vision(pipeline, request: ImageRequest, admission, limits, visualize: bool, **params):
    """As _predict_image, the picture as PaddleX's vision routes encode it (PIL's JPEG)."""
    return await _predict_image(pipeline, request, admission, limits, visualize, encode=_rgb_jpeg, **params)


async def _multilabel(pipeline, request: MultilabelRequest, admission, limits, visualize: bool) -> dict:
    data, picture = await _vision(pipeline, request, admission, limits, visualize, threshold=request.threshold)
    names = data.get("label_names") or [str(i) for i in data["class_ids"]]
    return _picture({"categories": [{"id": i, "name": n, "score": s}
                                    for i, n, s in zip(data["class_ids"], names, data["scores"])]}, picture)


def _label_map(pred) -> dict:
    """PaddleX's labelMap (the [1, H, W] map's first plane, row by row) and size [H, W]."""
    plane = np.asarray(pred)[0]
    return {"labelMap": plane.reshape(-1).tolist(), "size": [int(plane.shape[0]), int(plane.shape[1])]}


async def _segmentation(pipeline, request: SegmentationRequest, admission, limits, visualize: bool) -> dict:
    result, picture = await _vision(pipeline, request, admission, limits, visualize, target_size=request.targetSize)
    return _picture(_label_map(result["pred"]), picture)


async def _anomaly(pipeline, request: ImageRequest, admission, limits, visualize: bool) -> dict:
    result, picture = await _vision(pipeline, request, admission, limits, visualize)
    return _picture(_label_map(result["pred"]), picture)


def coco_rle(mask: np.ndarray) -> str:
    """pycocotools' compressed RLE string of a 0/1 mask (mask_util.encode(...)["counts"], column-major runs
    starting with zeros, each count as a delta of the one two before in 5-bit groups), without pycocotools."""
    flat = np.asarray(mask, dtype=np.uint8).reshape(mask.shape[:2]).ravel(order="F") != 0
    edges = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    runs = np.diff(np.concatenate([[0], edges, [flat.size]])).tolist()
    counts = ([0] if flat.size and flat[0] else []) + runs
    out = []
    for i, count in enumerate(counts):
        x = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = x != -1 if c & 0x10 else x != 0
            out.append(chr((c | 0x20 if more else c) + 48))
    return "".join(out)


async def _instance_segmentation(pipeline, request: InstanceSegmentationRequest, admission, limits,
                                 visualize: bool) -> dict:
    result, picture = await _vision(pipeline, request, admission, limits, visualize, threshold=request.threshold)
    boxes, masks = result["boxes"], result["masks"]
    instances = [{"bbox": box["coordinate"], "categoryId": box["cls_id"], "categoryName": box["label"],
                  "score": box["score"], "mask": {"rleResult": coco_rle(np.asarray(mask)),
                                                  "size": list(np.asarray(mask).shape[:2])}}
                 for box, mask in zip(boxes, masks)]
    return _picture({"instances": instances}, picture)


@dataclass(frozen=True)
class Route:
    path: str
    request_model: type
    handle: Callable


ROUTES = {"OCR": Route("/ocr", OcrRequest, _ocr),
          "image_classification": Route("/image-classification", ClassificationRequest, _classification),
          "object_detection": Route("/object-detection", DetectionRequest, _detection),
          "multilabel_classification": Route("/multilabel-image-classification", MultilabelRequest, _multilabel),
          "semantic_segmentation": Route("/semantic-segmentation", SegmentationRequest, _segmentation),
          "anomaly_detection": Route("/image-anomaly-detection", ImageRequest, _anomaly),
          "instance_segmentation": Route("/instance-segmentation", InstanceSegmentationRequest,
                                         _instance_segmentation)}

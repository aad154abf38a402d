"""The general OCR pipeline of PaddleX 3.7.2 (pipelines/ocr/pipeline.py): [document orientation ->
turn the image -> unwarp it (UVDoc)] -> detect -> sort boxes -> crop -> [text line orientation -> turn 180]
-> recognize.

The models are callables supplied by the caller; everything between them is ported from PaddleX
so that a result equals PaddleX's `OCRResult` for the same model outputs.
"""

from __future__ import annotations

import copy
from typing import Callable

import cv2
import numpy as np

from hpi.core.errors import BundleError, UsageError
from hpi.core.specs import OCR_CONFIG_VALUES, ImageClassificationSpec, ImageUnwarpingSpec, OcrParams
from hpi.runtime_min.ops import classification as cls_ops
from hpi.runtime_min.ops.image_io import read_image
from hpi.runtime_min.ops.normalize import IMAGENET_MEAN, IMAGENET_STD, normalize_to_chw
from hpi.runtime_min.ops.text_det import DBPostProcess, DetResize, get_mini_boxes
from hpi.runtime_min.ops.text_rec import CTCLabelDecode, rec_batch, rec_resize_norm
from hpi.runtime_min.ops.unwarping import unwarp
from hpi.runtime_min.ops.word_box import ocr_word_boxes, word_info
from hpi.runtime_min.pipelines import call_params, ocr_result
from hpi.runtime_min.pipelines.fonts import FontChooser
from hpi.runtime_min.pipelines.pictures import save_panels, write_pictures

__all__ = ["DEFAULT_PARAMS", "OcrRunner", "sort_quad_boxes", "get_minarea_rect_crop",
           "get_rotate_crop_image", "convert_points_to_boxes", "rotate_image"]

# PaddleX's values for the OCR pipeline: the text_det_*/score/batch keys from its OCR.yaml
# (create_pipeline("OCR"), hpi.core.specs.OCR_CONFIG_VALUES), the rest from the PP-OCR inference.yml
# files and the processors' defaults. A bundle's pipeline params and model specs replace all but the
# optional branches' switches (build below).
DEFAULT_PARAMS = {
    **OCR_CONFIG_VALUES,
    "det_mean": list(IMAGENET_MEAN),
    "det_std": list(IMAGENET_STD),
    "det_scale": 1.0 / 255.0,
    "det_img_mode": "BGR",
    "rec_image_shape": [3, 48, 320],
    "rec_img_mode": "BGR",
    "max_candidates": 1000,
    "use_dilation": False,
    "score_mode": "fast",
    "box_type": "quad",
    "use_textline_orientation": False,
    "use_doc_preprocessor": False,
    "use_doc_orientation_classify": False,
    "use_doc_unwarping": False,
    "return_word_box": False,
}


def sort_quad_boxes(dt_polys) -> list[np.ndarray]:
    """Top-to-bottom, left-to-right order (PaddleX `SortQuadBoxes`).

    Sort by the first corner's (y, x), then one bubble pass swaps neighbours whose first-corner
    y differ by less than 10 px when the lower one is further left. PaddleX quirk: the pass only
    moves a box left while the swap condition holds, so it is not a full line-by-line sort.
    """
    boxes = list(sorted(np.array(dt_polys), key=lambda b: (b[0][1], b[0][0])))
    for i in range(len(boxes) - 1):
        for j in range(i, -1, -1):
            same_line = abs(boxes[j + 1][0][1] - boxes[j][0][1]) < 10
            if same_line and boxes[j + 1][0][0] < boxes[j][0][0]:
                boxes[j], boxes[j + 1] = boxes[j + 1], boxes[j]
            else:
                break
    return boxes


def get_rotate_crop_image(img: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Perspective-warp the quad (float32 [4, 2], clockwise from top-left) to an upright crop;
    crops at least 1.5 times taller than wide are turned 90 degrees counter-clockwise."""
    crop_w = int(max(np.linalg.norm(points[0] - points[1]), np.linalg.norm(points[2] - points[3])))
    crop_h = int(max(np.linalg.norm(points[0] - points[3]), np.linalg.norm(points[1] - points[2])))
    pts_std = np.float32([[0, 0], [crop_w, 0], [crop_w, crop_h], [0, crop_h]])
    m = cv2.getPerspectiveTransform(points, pts_std)
    dst = cv2.warpPerspective(img, m, (crop_w, crop_h), borderMode=cv2.BORDER_REPLICATE,
                              flags=cv2.INTER_CUBIC)
    if dst.shape[0] * 1.0 / dst.shape[1] >= 1.5:
        dst = np.rot90(dst)
    return dst


def get_minarea_rect_crop(img: np.ndarray, points: np.ndarray) -> np.ndarray:
    """PaddleX `CropByPolys(det_box_type="quad")`: crop the minimum-area rectangle of the box
    (not the box itself), so a skewed quad is cropped as its enclosing rotated rectangle."""
    box, _ = get_mini_boxes(np.array(points).astype(np.int32))
    return get_rotate_crop_image(img, np.array(box))


def rotate_image(image: np.ndarray, angle: float) -> np.ndarray:
    """PaddleX's `rotate_image` (pipelines/components/common/warp_image.py): an affine warp about the
    image centre, bicubic, black border, on a canvas that holds the turned image.

    Not a pixel flip: for 180 degrees OpenCV maps pixel x to w - x, so the content moves by one pixel
    and one black row and column come in. PaddleX recognizes that image, and so do we.
    """
    if angle < 0 or angle >= 360:
        raise ValueError("`angle` should be in range [0, 360)")
    if angle < 1e-7:
        return image
    h, w = image.shape[:2]
    mat = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = np.abs(mat[0, 0]), np.abs(mat[0, 1])
    new_w, new_h = int((h * sin) + (w * cos)), int((h * cos) + (w * sin))
    mat[0, 2] += (new_w - w) / 2
    mat[1, 2] += (new_h - h) / 2
    return cv2.warpAffine(image, mat, (new_w, new_h), flags=cv2.INTER_CUBIC)


def convert_points_to_boxes(polys) -> np.ndarray:
    """[N, 4] [left, top, right, bottom] of each polygon; an empty float array when none."""
    if len(polys) == 0:
        return np.array([])
    pts = np.array(polys)
    return np.array([pts[:, :, 0].min(axis=1), pts[:, :, 1].min(axis=1),
                     pts[:, :, 0].max(axis=1), pts[:, :, 1].max(axis=1)]).T


class OcrRunner:
    """General OCR: `predict_one(image)` returns the fields of PaddleX's OCRResult.

    det_infer(x) takes float32 [N, 3, H, W] (H, W multiples of 32) and returns the DB probability
    map [N, 1, H, W]; rec_infer(x) takes float32 [N, 3, 48, W] and returns CTC probabilities
    [N, T, len(characters) + 2]. characters is the model's `PostProcess.character_dict`.

    params (missing keys take DEFAULT_PARAMS, PaddleX's OCR pipeline values; unknown keys are an
    error; textline_spec and doc_ori_spec are the classifiers' ImageClassificationSpec):
      text_det_limit_side_len (64), text_det_limit_type ("min"): detector input size rule, see
          ops.text_det.DetResize ("min": short side at least 64; "max": long side at most N).
      text_det_max_side_limit (4000): no side of the detector input larger than this.
      text_det_thresh (0.3): probability above which a map pixel is text.
      text_det_box_thresh (0.6): minimum mean probability inside a box to keep it.
      text_det_unclip_ratio (1.5): how far boxes are grown (area * ratio / perimeter).
      text_rec_score_thresh (0.0): lines whose recognition score is below this are dropped.
      rec_batch_size (6): crops per recognizer call (crops are sorted by aspect ratio first).
      det_mean, det_std, det_scale ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225], 1/255):
          detector NormalizeImage; det_scale may be a string such as "1./255.".
      det_img_mode, rec_img_mode ("BGR"): channel order each model reads (DecodeImage.img_mode;
          PaddleX uses "RGB" when the inference.yml has no DecodeImage).
      rec_image_shape ([3, 48, 320]): RecResizeImg.image_shape.
      max_candidates (1000), use_dilation (False), score_mode ("fast"): DB post-processing.
      box_type ("quad"): only "quad"; PaddleX's general pipeline sorts and crops quads.
      use_textline_orientation (False): classify every crop as upright (0) or upside down (1) with
          the text line orientation model and turn the upside-down ones by 180 degrees before
          recognition; needs `textline_infer` and `textline_spec`.
      textline_orientation_batch_size (6): crops per orientation model call (in detection order).
      use_doc_preprocessor (False): run PaddleX's document preprocessor first; results then carry
          `doc_preprocessor_res`.
      use_doc_orientation_classify (False): with use_doc_preprocessor, classify the whole image as
          turned by 0/90/180/270 degrees with the document orientation model and turn it by that
          angle (PaddleX's rotate_image) before OCR; needs `doc_ori_infer` and `doc_ori_spec`.
      use_doc_unwarping (False): with use_doc_preprocessor, unwarp the (turned) image with the UVDoc
          model (ops.unwarping.unwarp) before OCR; needs `doc_unwarp_infer` and `doc_unwarp_spec`.

    A non-positive thresh/box_thresh/unclip_ratio/limit_side_len is refused: PaddleX would
    silently replace it (`value or default`) by the model's inference.yml value.

    PaddleX's text types differ in these class attributes (pipelines/seal.py: text_type "seal").
    """

    text_type = "general"
    box_type = "quad"  # the detector's DBPostProcess box_type this text type needs
    sort_boxes = staticmethod(sort_quad_boxes)  # PaddleX SortQuadBoxes
    crop = staticmethod(get_minarea_rect_crop)  # PaddleX CropByPolys(det_box_type="quad")
    rec_boxes = staticmethod(convert_points_to_boxes)

    def __init__(self, det_infer: Callable[[np.ndarray], np.ndarray],
                 rec_infer: Callable[[np.ndarray], np.ndarray], characters,
                 params: dict | None = None,
                 textline_infer: Callable[[np.ndarray], np.ndarray] | None = None,
                 textline_spec: ImageClassificationSpec | None = None,
                 doc_ori_infer: Callable[[np.ndarray], np.ndarray] | None = None,
                 doc_ori_spec: ImageClassificationSpec | None = None,
                 doc_unwarp_infer: Callable[[np.ndarray], np.ndarray] | None = None,
                 doc_unwarp_spec: ImageUnwarpingSpec | None = None, display_order: str | None = None):
        unknown = set(params or {}) - set(DEFAULT_PARAMS)
        if unknown:
            raise ValueError(
                f"unknown OCR params: {sorted(unknown)}; known: {sorted(DEFAULT_PARAMS)}")
        self.doc_ori_infer, self.doc_ori_spec = doc_ori_infer, doc_ori_spec
        self.doc_unwarp_infer, self.doc_unwarp_spec = doc_unwarp_infer, doc_unwarp_spec
        self.det_infer = det_infer
        self.rec_infer = rec_infer
        self.textline_infer, self.textline_spec = textline_infer, textline_spec
        self.decode = CTCLabelDecode(characters, display_order=display_order)
        self.fonts: FontChooser | None = None  # None: the process-wide default chooser
        self._configure({**copy.deepcopy(DEFAULT_PARAMS), **(params or {})})

    def _configure(self, p: dict) -> None:
        """Check the resolved params and build what depends on them; ValueError names a bad one."""
        for key in ("text_det_limit_side_len", "text_det_thresh", "text_det_box_thresh",
                    "text_det_unclip_ratio", "rec_batch_size", "textline_orientation_batch_size",
                    "text_det_max_side_limit"):
            if isinstance(p[key], bool) or not isinstance(p[key], (int, float)) or p[key] <= 0:
                raise ValueError(f"{key} must be a positive number, got {p[key]!r}")
        if isinstance(p["text_rec_score_thresh"], bool) or not isinstance(p["text_rec_score_thresh"], (int, float)):
            raise ValueError(f"text_rec_score_thresh must be a number, got {p['text_rec_score_thresh']!r}")
        if p["box_type"] != self.box_type:
            raise ValueError(f"box_type must be '{self.box_type}' for the {self.text_type} OCR pipeline")
        for key in ("det_img_mode", "rec_img_mode"):
            if p[key] not in ("BGR", "RGB"):
                raise ValueError(f"{key} must be 'BGR' or 'RGB', got {p[key]!r}")
        if p["use_textline_orientation"] and (self.textline_infer is None or self.textline_spec is None):
            raise ValueError("use_textline_orientation needs the text line orientation model "
                             "(textline_infer and its classification spec textline_spec)")
        if p["use_doc_orientation_classify"] and not p["use_doc_preprocessor"]:
            raise ValueError("use_doc_orientation_classify needs use_doc_preprocessor")
        if p["use_doc_orientation_classify"] and (self.doc_ori_infer is None or self.doc_ori_spec is None):
            raise ValueError("use_doc_orientation_classify needs the document orientation model "
                             "(doc_ori_infer and its classification spec doc_ori_spec)")
        if p["use_doc_unwarping"] and not p["use_doc_preprocessor"]:
            raise ValueError("use_doc_unwarping needs use_doc_preprocessor")
        if p["use_doc_unwarping"] and (self.doc_unwarp_infer is None or self.doc_unwarp_spec is None):
            raise ValueError("use_doc_unwarping needs the document unwarping model "
                             "(doc_unwarp_infer and its spec doc_unwarp_spec)")
        self.params = p
        self.resize = DetResize(p["text_det_limit_side_len"], p["text_det_limit_type"],
                                p["text_det_max_side_limit"])
        self.postprocess = DBPostProcess(
            thresh=p["text_det_thresh"], box_thresh=p["text_det_box_thresh"],
            max_candidates=p["max_candidates"], unclip_ratio=p["text_det_unclip_ratio"],
            use_dilation=p["use_dilation"], score_mode=p["score_mode"], box_type=p["box_type"])
        # Same keys and order as PaddleX's get_text_det_params (the JSON shows this order).
        self.text_det_params = {
            "limit_side_len": p["text_det_limit_side_len"],
            "limit_type": p["text_det_limit_type"],
            "thresh": p["text_det_thresh"],
            "max_side_limit": p["text_det_max_side_limit"],
            "box_thresh": p["text_det_box_thresh"],
            "unclip_ratio": p["text_det_unclip_ratio"],
        }

    def with_params(self, **call) -> "OcrRunner":
        """This pipeline with PaddleX's per-call `predict()` parameters applied (see call_params)."""
        twin = copy.copy(self)
        try:
            twin._configure(call_params.resolve(self.params, call, has_textline=self.textline_infer is not None,
                                                has_doc_ori=self.doc_ori_infer is not None,
                                                has_doc_unwarp=self.doc_unwarp_infer is not None))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        return twin

    def detect(self, img: np.ndarray) -> list[np.ndarray]:
        """Sorted int16 [4, 2] boxes of one BGR image."""
        if self.params["det_img_mode"] == "RGB":
            img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        resized, shape = self.resize(img)
        norm = self.params["det_mean"], self.params["det_std"], self.params["det_scale"]
        on_device = getattr(self.det_infer, "infer_normalized", None)  # GPU backends normalise there
        pred = on_device(resized, *norm) if on_device else None
        if pred is None:
            pred = self.det_infer(normalize_to_chw(resized, *norm)[np.newaxis])
        boxes, _ = self.postprocess(pred, [shape])
        return self.sort_boxes(boxes[0])

    def textline_angles(self, crops: list[np.ndarray]) -> list[int]:
        """0 (upright) or 1 (upside down) per crop, as PaddleX's OCR pipeline gets them.

        PaddleX feeds the BGR crops to its ClasPredictor (read as RGB, then the model's
        ResizeImage/NormalizeImage/ToCHWImage), in detection order, `textline_orientation_batch_size`
        at a time, and takes `class_ids` of each result's Topk. PaddleX 3.7.2 quirk, kept for parity:
        its predictor hands every result of a batch the whole batch's [batch, k] `class_ids` array
        (it splits lists only), and the pipeline takes `.ravel()[0]`, so every crop of a batch gets
        the angle of the batch's first crop.
        """
        spec = self.textline_spec
        post = spec.postprocess
        bs = self.params["textline_orientation_batch_size"]
        angles: list[int] = []
        for start in range(0, len(crops), bs):
            batch = crops[start : start + bs]
            x = np.stack([cls_ops.preprocess(cv2.cvtColor(c, cv2.COLOR_BGR2RGB), spec) for c in batch])
            ids, _, _ = cls_ops.topk(self.textline_infer(x), int(post.topk), post.label_list)
            first = int(np.asarray(ids, dtype=np.int64).ravel()[0])
            if first not in (0, 1):
                raise ValueError(f"the text line orientation model gave class {first}; expected 0 or 1")
            angles += [first] * len(batch)
        return angles

    def doc_angle(self, img: np.ndarray) -> int:
        """The document orientation angle of a BGR image, as PaddleX's doc preprocessor gets it:
        its ClasPredictor on the image (read as RGB), `int(label_names[0])` of the Topk."""
        spec = self.doc_ori_spec
        post = spec.postprocess
        x = cls_ops.preprocess(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), spec)[np.newaxis]
        _, _, names = cls_ops.topk(self.doc_ori_infer(x), int(post.topk), post.label_list)
        angle = int(names[0][0])
        if not 0 <= angle < 360:
            raise ValueError(f"the document orientation model gave angle {angle}; expected [0, 360)")
        return angle

    def recognize(self, crops: list[np.ndarray], word_boxes: bool = False) -> list[tuple]:
        """(text, score) per crop, in the given order; batches are formed after sorting the
        crops by width/height so each batch pads to a similar width (as PaddleX does).

        With word_boxes, (text, score, (columns, words, word columns, word kinds)) for
        ops.word_box.ocr_word_boxes: columns is the line's share of the time steps, PaddleX's
        T * (crop width/height) / max(the batch's widest, the rec input's width/height)."""
        ratios = [c.shape[1] / float(c.shape[0]) for c in crops]
        order = sorted(range(len(crops)), key=lambda i: ratios[i])  # stable, as PaddleX
        results: dict = {}
        bs = self.params["rec_batch_size"]
        for start in range(0, len(order), bs):
            ids = order[start : start + bs]
            imgs = [crops[i] for i in ids]
            if self.params["rec_img_mode"] == "RGB":
                imgs = [cv2.cvtColor(im, cv2.COLOR_BGR2RGB) for im in imgs]
            x = rec_batch([rec_resize_norm(im, self.params["rec_image_shape"]) for im in imgs])
            on_device = getattr(self.rec_infer, "infer_best_class", None)  # GPU backends take the argmax there
            best = on_device(x, len(self.decode.character)) if on_device else None
            idx, prob = best if best is not None else self.decode.best(self.rec_infer(x))
            texts, scores = self.decode.decode_best(idx, prob)
            shown = [self.decode.for_display(text) for text in texts]
            if not word_boxes:
                results.update(zip(ids, zip(shown, scores)))
                continue
            _, img_h, img_w = self.params["rec_image_shape"][:3]
            widest = max([img_w / img_h] + [ratios[i] for i in ids])
            # the words come from the decoded (logical-order) text, the boxes' text is the shown one, as PaddleX
            for i, text, line, score, keep in zip(ids, texts, shown, scores, self.decode.selection(idx)):
                results[i] = (line, score, (idx.shape[1] * (ratios[i] / widest), *word_info(text, keep)))
        return [results[i] for i in range(len(crops))]

    def predict_one(self, image) -> dict:
        """OCR one image (BGR uint8 array, or a path read with ops.image_io.read_image).

        Returns PaddleX's result fields: model_settings, dt_polys (boxes that gave a crop),
        text_det_params, text_type, textline_orientation_angles (0/1 per box with the orientation
        model, else -1; absent when nothing was detected, as in PaddleX), text_rec_score_thresh,
        return_word_box, rec_texts, rec_scores, rec_polys (boxes whose score >=
        text_rec_score_thresh), rec_boxes ([N, 4] left, top, right, bottom). Polygons are int16 [4, 2] arrays.
        With return_word_box, per kept line: text_word (its words) and text_word_region (their boxes, four
        corners each), and text_word_boxes (those boxes as left, top, right, bottom; general text only).
        """
        img = read_image(image)
        p = self.params
        res = {
            "model_settings": {"use_doc_preprocessor": bool(p["use_doc_preprocessor"]),
                               "use_textline_orientation": bool(p["use_textline_orientation"])},
        }
        if p["use_doc_preprocessor"]:
            # PaddleX's DocPreprocessorResult JSON; it gets the image array, so no path or page.
            angle = self.doc_angle(img) if p["use_doc_orientation_classify"] else -1
            if angle >= 0:
                img = rotate_image(img, angle)
            if p["use_doc_unwarping"]:
                img = unwarp(img, self.doc_unwarp_infer, self.doc_unwarp_spec)
                res["doc_output_img"] = img  # what PaddleX draws on; not in the JSON
            res["doc_preprocessor_res"] = {
                "input_path": None, "page_index": None,
                "model_settings": {"use_doc_orientation_classify": bool(p["use_doc_orientation_classify"]),
                                   "use_doc_unwarping": bool(p["use_doc_unwarping"])},
                "angle": angle}
        dt_polys = self.detect(img)
        res.update({
            "dt_polys": dt_polys,
            "text_det_params": dict(self.text_det_params),
            "text_type": self.text_type,
            "text_rec_score_thresh": p["text_rec_score_thresh"],
            "return_word_box": bool(p["return_word_box"]),
            "rec_texts": [],
            "rec_scores": [],
            "rec_polys": [],
        })
        if p["return_word_box"]:
            res.update(text_word=[], text_word_region=[])
        if len(dt_polys) > 0:
            crops, polys = [], []
            for poly in dt_polys:
                crop = self.crop(img, poly)
                if crop.size > 0 and crop.shape[0] > 0 and crop.shape[1] > 0:
                    crops.append(crop)
                    polys.append(poly)
            res["dt_polys"] = polys
            if p["use_textline_orientation"]:
                angles = self.textline_angles(crops)
                crops = [rotate_image(c, a * 180) for c, a in zip(crops, angles)]
            else:
                angles = [-1] * len(crops)
            res["textline_orientation_angles"] = angles
            for poly, (text, score, *words) in zip(polys, self.recognize(crops, p["return_word_box"])):
                if score >= p["text_rec_score_thresh"]:
                    if words:
                        texts, boxes = ocr_word_boxes(text, poly, *words[0])
                        res["text_word"].append(texts)
                        res["text_word_region"].append(boxes)
                    res["rec_texts"].append(text)
                    res["rec_scores"].append(score)
                    res["rec_polys"].append(poly)
        res["rec_boxes"] = self.rec_boxes(res["rec_polys"])
        if p["return_word_box"] and self.text_type == "general":
            res["text_word_boxes"] = [convert_points_to_boxes(line) for line in res["text_word_region"]]
        return res

    def to_json(self, data: dict, input_path=None) -> dict:
        return ocr_result.to_json_dict(data, input_path)

    def named_pictures(self, data: dict, image: np.ndarray, fonts: FontChooser | None = None) -> list:
        """PaddleX's pictures, (key, draw(target)) each: `ocr_res_img` (drawn on the preprocessed page, where the
        polygons are) and, with the document preprocessor, its `preprocessed_img` panels."""
        fonts = fonts or self.fonts
        doc = data.get("doc_preprocessor_res")
        angle = (doc or {}).get("angle", -1)
        rot_img = rotate_image(image, angle) if angle >= 0 else image
        page = data["doc_output_img"] if data.get("doc_output_img") is not None else rot_img
        pictures = [("ocr_res_img", lambda target: ocr_result.save_visualization(data, page, target, fonts=fonts))]
        if doc is not None:
            panels = {"model_settings": doc["model_settings"], "angle": angle, "rot_img": rot_img, "output_img": page}
            pictures.append(("preprocessed_img", lambda target: save_panels(image, panels, target, fonts)))
        return pictures

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts: FontChooser | None = None) -> None:
        write_pictures(self.named_pictures(data, image, fonts), path)


def build(name: str, models: dict, params: dict) -> OcrRunner:
    """The OCR pipeline of a bundle: pipeline params plus each model's own pre/post-processing spec."""
    det, rec = models["text_det"].entry.spec, models["text_rec"].entry.spec
    post = det.postprocess
    params = {
        **OcrParams.from_dict(params, "pipeline.params").to_dict(),
        "det_mean": det.normalize.mean, "det_std": det.normalize.std,
        "det_scale": det.normalize.scale, "det_img_mode": det.img_mode,
        "rec_image_shape": rec.rec_image_shape, "rec_img_mode": rec.img_mode,
        "max_candidates": post.max_candidates, "use_dilation": post.use_dilation, "score_mode": post.score_mode,
        "box_type": post.box_type,
    }
    textline = models.get("textline_ori")
    if params.get("use_textline_orientation") and textline is None:
        raise BundleError("the bundle's OCR pipeline has use_textline_orientation but no 'textline_ori' model")
    doc_ori = models.get("doc_ori")
    if params.get("use_doc_orientation_classify") and doc_ori is None:
        raise BundleError("the bundle's OCR pipeline has use_doc_orientation_classify but no 'doc_ori' model")
    doc_unwarp = models.get("doc_unwarp")
    if params.get("use_doc_unwarping") and doc_unwarp is None:
        raise BundleError("the bundle's OCR pipeline has use_doc_unwarping but no 'doc_unwarp' model")
    return OcrRunner(models["text_det"], models["text_rec"], rec.postprocess.character_list, params,
                     textline_infer=textline, textline_spec=textline.entry.spec if textline else None,
                     doc_ori_infer=doc_ori, doc_ori_spec=doc_ori.entry.spec if doc_ori else None,
                     doc_unwarp_infer=doc_unwarp, doc_unwarp_spec=doc_unwarp.entry.spec if doc_unwarp else None,
                     display_order=rec.postprocess.display_order)

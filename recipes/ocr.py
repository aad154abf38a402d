"""PP-OCR text detection and recognition, and PaddleX's OCR pipeline."""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.core.specs import (OCR_UNSET_VALUES, CTCLabelDecodeSpec, DBPostProcessSpec, DetResizeSpec, NormalizeSpec,
                            OcrParams, TextDetectionSpec, TextRecognitionSpec)
from hpi.recipes.base import ModelRecipe, PipelineRecipe, Tolerance, register_model, register_pipeline, transform_ops
from hpi.runtime_min.ops.normalize import IMAGENET_MEAN, IMAGENET_STD, parse_scale


def _img_mode(ops: dict) -> str:
    """DecodeImage.img_mode; PaddleX reads RGB when inference.yml has no DecodeImage."""
    mode = ops.get("DecodeImage", {}).get("img_mode", "RGB")
    if mode not in ("BGR", "RGB"):
        raise CompileError(f"DecodeImage.img_mode {mode!r} is not supported (BGR, RGB)")
    return mode


@register_model
class TextDetectionRecipe(ModelRecipe):
    family = "text_detection"
    # Every name here is in PaddleX's max-limit list (text_detection/predictor.py: resize_long 960, "max"
    # when inference.yml leaves them out).
    model_names = ("PP-OCRv4_mobile_det", "PP-OCRv4_server_det", "PP-OCRv3_mobile_det", "PP-OCRv3_server_det",
                   "PP-OCRv5_mobile_det", "PP-OCRv5_server_det", "PP-OCRv6_medium_det", "PP-OCRv6_small_det",
                   "PP-OCRv6_tiny_det")
    # PaddleX's own default for these models (its inference.yml Hpi block).
    default_profile = {"x": ([1, 3, 32, 32], [1, 3, 736, 736], [1, 3, 4000, 4000])}
    # A probability map thresholded at 0.3 (pixels) and 0.6 (box means): 1e-2 moves no decision that
    # matters; server det is known to collapse in fp16 and is then caught and rebuilt in fp32.
    fp16_tolerance = Tolerance(atol=1e-2)
    # Output is a sigmoid probability map thresholded at 0.3; converters differ from Paddle by ~1e-5.
    tolerance = Tolerance(atol=5e-4)

    @classmethod
    def runtime_spec(cls, config):
        ops = transform_ops(config, "text detection", required=("DetResizeForTest",))
        resize = ops["DetResizeForTest"]
        norm = ops.get("NormalizeImage", {})
        post = config.get("PostProcess") or {}
        if post.get("name") != "DBPostProcess":
            raise CompileError(f"text detection PostProcess {post.get('name')!r} is not supported (DBPostProcess)")
        return TextDetectionSpec(
            img_mode=_img_mode(ops),
            # PaddleX's model-level defaults for the max-limit model family (predictor.py).
            resize=DetResizeSpec(limit_side_len=int(resize.get("resize_long", 960)),
                                 limit_type=resize.get("limit_type", "max"), max_side_limit=4000),
            normalize=NormalizeSpec(mean=[float(v) for v in norm.get("mean", IMAGENET_MEAN)],
                                    std=[float(v) for v in norm.get("std", IMAGENET_STD)],
                                    scale=parse_scale(norm.get("scale", 1 / 255))),
            postprocess=DBPostProcessSpec(thresh=float(post.get("thresh", 0.3)),
                                          box_thresh=float(post.get("box_thresh", 0.6)),
                                          unclip_ratio=float(post.get("unclip_ratio", 2.0)),
                                          max_candidates=int(post.get("max_candidates", 1000)),
                                          use_dilation=bool(post.get("use_dilation", False)),
                                          score_mode=post.get("score_mode", "fast"),
                                          box_type=post.get("box_type", "quad")),
        )

    @classmethod
    def sample_inputs(cls, image, spec):
        from hpi.runtime_min.ops.normalize import normalize
        from hpi.runtime_min.ops.text_det import DetResize

        resized, _ = DetResize.from_spec(spec.resize)(image)
        return {"x": normalize(resized, spec.normalize)[None]}


ARABIC = ("arabic_PP-OCRv5_mobile_rec", "arabic_PP-OCRv3_mobile_rec")  # PaddleX's list in TextRecRunnerPredictor


@register_model
class TextRecognitionRecipe(ModelRecipe):
    family = "text_recognition"
    # The PP-OCRv5 language variants differ from PP-OCRv5_mobile_rec only in their dictionary (inference.yml's
    # PostProcess.character_dict); PaddleX decodes them all with the same CTCLabelDecode, left to right, with
    # no reordering (Thai, Devanagari, Tamil and Telugu signs stay in the model's emitted order) but for Arabic,
    # whose texts its predictor puts in display order with python-bidi (ARABIC: the spec's display_order).
    model_names = ("PP-OCRv4_mobile_rec", "PP-OCRv4_server_rec", "PP-OCRv4_server_rec_doc", "PP-OCRv3_mobile_rec",
                   "PP-OCRv5_mobile_rec",
                   "PP-OCRv5_server_rec", "PP-OCRv6_medium_rec", "PP-OCRv6_small_rec", "PP-OCRv6_tiny_rec",
                   "latin_PP-OCRv5_mobile_rec", "eslav_PP-OCRv5_mobile_rec", "korean_PP-OCRv5_mobile_rec",
                   "en_PP-OCRv5_mobile_rec", "el_PP-OCRv5_mobile_rec", "th_PP-OCRv5_mobile_rec",
                   "cyrillic_PP-OCRv5_mobile_rec", "devanagari_PP-OCRv5_mobile_rec", "ta_PP-OCRv5_mobile_rec",
                   "te_PP-OCRv5_mobile_rec", *ARABIC)
    default_profile = {"x": ([1, 3, 48, 160], [1, 3, 48, 320], [8, 3, 48, 3200])}
    fp16_tolerance = Tolerance(atol=1e-2)  # CTC keeps the argmax per step; 1e-2 on probabilities rarely moves it
    # Softmax over 6625 classes; paddle2onnx 1.3.1 differs from Paddle by ~1.3e-5.
    tolerance = Tolerance(atol=5e-4)

    @classmethod
    def runtime_spec(cls, config):
        ops = transform_ops(config, "text recognition")
        post = config.get("PostProcess") or {}
        if post.get("name") != "CTCLabelDecode":
            raise CompileError(f"text recognition PostProcess {post.get('name')!r} is not supported (CTCLabelDecode)")
        characters = post.get("character_dict")
        if not characters:
            raise CompileError("inference.yml of a text recognition model has no PostProcess.character_dict")
        # PaddleX takes the YAML list as it is (a string: its code points); an entry YAML reads as a number,
        # boolean or null (unquoted 1, yes, ~) fails PaddleX's "".join when decoded, so it is refused here.
        bad = next(((i, c) for i, c in enumerate(characters) if not isinstance(c, str)), None)
        if bad is not None:
            raise CompileError(f"PostProcess.character_dict entry {bad[0]} is {bad[1]!r} ({type(bad[1]).__name__}), "
                               "not a string: quote it in inference.yml (PaddleX fails on it)")
        return TextRecognitionSpec(
            img_mode=_img_mode(ops),
            rec_image_shape=[int(v) for v in ops.get("RecResizeImg", {}).get("image_shape", [3, 48, 320])],
            postprocess=CTCLabelDecodeSpec(character_list=list(characters), display_order="bidi"
                                           if (config.get("Global") or {}).get("model_name") in ARABIC else None),
        )

    @classmethod
    def sample_inputs(cls, image, spec):
        from hpi.runtime_min.ops.text_rec import rec_resize_norm

        return {"x": rec_resize_norm(image, spec.rec_image_shape)[None]}


def use_textline_orientation(config: dict) -> bool:
    """PaddleX's `config.get("use_textline_orientation", True)`: on unless the config turns it off."""
    return bool(config.get("use_textline_orientation", True))


def doc_preprocessor(config: dict) -> dict | None:
    """SubPipelines.DocPreprocessor when the config turns `use_doc_preprocessor` on, else None.

    Only an explicit `use_doc_preprocessor: True` turns it on here (configs without the key keep
    compiling as before). Inside it PaddleX's defaults apply: orientation classification and unwarping
    are on unless set to False.
    """
    if not config.get("use_doc_preprocessor"):
        return None
    sub = (config.get("SubPipelines") or {}).get("DocPreprocessor")
    if not sub:
        raise CompileError("use_doc_preprocessor is on but the config has no SubPipelines.DocPreprocessor; "
                           "add it or set use_doc_preprocessor: False")
    return sub


def use_doc_orientation_classify(sub: dict) -> bool:
    """PaddleX's `config.get("use_doc_orientation_classify", True)` of the DocPreprocessor sub-pipeline."""
    return bool(sub.get("use_doc_orientation_classify", True))


def use_doc_unwarping(sub: dict) -> bool:
    """PaddleX's `config.get("use_doc_unwarping", True)` of the DocPreprocessor sub-pipeline."""
    return bool(sub.get("use_doc_unwarping", True))


@register_pipeline
class OcrRecipe(PipelineRecipe):
    name = "OCR"
    modules = {"TextDetection": "text_det", "TextRecognition": "text_rec", "TextLineOrientation": "textline_ori",
               "DocOrientationClassify": "doc_ori", "DocUnwarping": "doc_unwarp"}

    @classmethod
    def module_config(cls, config, key):
        if key in ("DocOrientationClassify", "DocUnwarping"):
            sub = (config.get("SubPipelines") or {}).get("DocPreprocessor") or {}
            return (f"SubPipelines.DocPreprocessor.SubModules.{key}", (sub.get("SubModules") or {}).get(key))
        return super().module_config(config, key)

    @classmethod
    def modules_for(cls, config):
        modules = dict(cls.modules)
        sub = doc_preprocessor(config)
        if sub is None or not use_doc_orientation_classify(sub):
            del modules["DocOrientationClassify"]
        elif not cls.module_config(config, "DocOrientationClassify")[1]:
            raise CompileError("the document orientation model needs SubPipelines.DocPreprocessor.SubModules."
                               "DocOrientationClassify (model_name, model_dir); or set "
                               "use_doc_orientation_classify: False")
        if sub is None or not use_doc_unwarping(sub):
            del modules["DocUnwarping"]
        elif not cls.module_config(config, "DocUnwarping")[1]:
            hint = "" if "use_doc_unwarping" in sub else "use_doc_unwarping is not set, and PaddleX then turns it on; "
            raise CompileError(f"{hint}the document unwarping model needs SubPipelines.DocPreprocessor.SubModules."
                               "DocUnwarping (model_name UVDoc, model_dir); or set use_doc_unwarping: False")
        if not use_textline_orientation(config):
            del modules["TextLineOrientation"]
        elif not (config.get("SubModules") or {}).get("TextLineOrientation"):
            hint = ("" if "use_textline_orientation" in config else
                    "use_textline_orientation is not set, and PaddleX then turns it on; ")
            raise CompileError(f"{hint}the text line orientation model needs SubModules.TextLineOrientation "
                               "(model_name, model_dir); or set use_textline_orientation: False")
        return modules

    @classmethod
    def params(cls, config, models):
        sub = doc_preprocessor(config)
        if config.get("text_type", "general") != "general":
            raise CompileError(f"OCR text_type {config.get('text_type')!r} is not supported (general)")
        det = config["SubModules"]["TextDetection"]
        rec = config["SubModules"]["TextRecognition"]
        textline = use_textline_orientation(config)
        if textline and "textline_ori" not in models:
            raise CompileError("use_textline_orientation is on but no text line orientation model was compiled")
        # A key the config leaves out takes PaddleX's OCR pipeline value for it (OCR_UNSET_VALUES).
        unset = OCR_UNSET_VALUES
        optional = {}
        if textline:
            ori = config["SubModules"]["TextLineOrientation"]
            batch = int(ori.get("batch_size", unset["textline_orientation_batch_size"]))
            if batch <= 0:
                raise CompileError("SubModules.TextLineOrientation.batch_size must be positive, got "
                                   f"{ori.get('batch_size')!r}")
            optional.update(use_textline_orientation=True, textline_orientation_batch_size=batch)
        if sub is not None:
            # Only present with the preprocessor, so bundles of configs without it stay as they were.
            optional.update(use_doc_preprocessor=True, use_doc_orientation_classify=use_doc_orientation_classify(sub))
            if optional["use_doc_orientation_classify"] and "doc_ori" not in models:
                raise CompileError("use_doc_orientation_classify is on but no document orientation model "
                                   "was compiled")
            if use_doc_unwarping(sub):
                if "doc_unwarp" not in models:
                    raise CompileError("use_doc_unwarping is on but no document unwarping model was compiled")
                optional.update(use_doc_unwarping=True)
        word_box = rec.get("return_word_box", False)
        if not isinstance(word_box, bool):
            raise CompileError(f"SubModules.TextRecognition.return_word_box must be true or false, got {word_box!r}")
        if word_box:
            optional.update(return_word_box=True)
        return OcrParams(
            text_det_limit_side_len=int(det.get("limit_side_len", unset["text_det_limit_side_len"])),
            text_det_limit_type=det.get("limit_type", unset["text_det_limit_type"]),
            text_det_max_side_limit=int(det.get("max_side_limit", unset["text_det_max_side_limit"])),
            text_det_thresh=float(det.get("thresh", unset["text_det_thresh"])),
            text_det_box_thresh=float(det.get("box_thresh", unset["text_det_box_thresh"])),
            text_det_unclip_ratio=float(det.get("unclip_ratio", unset["text_det_unclip_ratio"])),
            text_rec_score_thresh=float(rec.get("score_thresh", unset["text_rec_score_thresh"])),
            rec_batch_size=int(rec.get("batch_size", unset["rec_batch_size"])),
            **optional,
        ).to_dict()

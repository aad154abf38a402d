"""Per-family pre/post-processing specs: the contract between recipes and the runtime.

A recipe (hpi.recipes) reads a model's inference.yml and builds one of these records; the compiler
writes its `to_dict()` into the manifest (`models.<key>.spec`, docs/bundle-format.md); the runtime
reads it back with `spec_from_dict(family, ...)` (`ModelEntry.spec`), and its pipelines and ops read
attributes. `to_dict()` is the exact dict the manifest stores (same keys, values and types), and
`from_dict(to_dict(s)) == s`. A malformed spec (a missing or unknown key, another post-processing
`name`) is a BundleError when the bundle opens.

The records are frozen; the JSON values they hold (lists, a per-class threshold map) are shared with
every reader and never changed. Also here: PaddleX 3.7.2's OCR pipeline parameters and their default
values, read by the OCR recipe and by the runtime's OCR pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar, Mapping

from hpi.core.errors import BundleError


class _Record:
    """to_dict / from_dict for a frozen dataclass whose fields are JSON values or nested records."""

    NAME: ClassVar[str | None] = None  # the `name` key a post-processing section carries first
    NESTED: ClassVar[Mapping[str, type]] = {}  # field → record class (a None value stays None)
    OMIT_NONE: ClassVar[tuple[str, ...]] = ()  # fields left out of the dict while None

    def to_dict(self) -> dict:
        out = {"name": self.NAME} if self.NAME is not None else {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.name in self.OMIT_NONE:
                continue
            out[f.name] = value.to_dict() if isinstance(value, _Record) else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping, where: str = "spec"):
        if not isinstance(data, Mapping):
            raise BundleError(f"manifest {where} is not an object; the bundle is malformed (recompile it)")
        data = dict(data)
        if cls.NAME is not None and data.pop("name", None) != cls.NAME:
            raise BundleError(f"manifest {where}.name is not {cls.NAME!r}; the bundle is malformed or made by "
                              "a newer hpi (recompile it or upgrade hpi)")
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in data and n not in cls.OMIT_NONE]
        unknown = [k for k in data if k not in names]
        if missing or unknown:
            raise BundleError(f"manifest {where} has " + "; ".join(
                ([f"no {', '.join(map(repr, missing))}"] if missing else []) +
                ([f"unknown {', '.join(map(repr, unknown))}"] if unknown else [])) +
                "; the bundle is malformed or made by another hpi (recompile it)")
        values = {}
        for name in names:
            value = data.get(name)
            record = cls.NESTED.get(name)
            values[name] = record.from_dict(value, f"{where}.{name}") if record and value is not None else value
        return cls(**values)


def _record(cls):
    return dataclass(frozen=True, kw_only=True)(cls)


# --- shared sections ------------------------------------------------------------------------------


@_record
class NormalizeSpec(_Record):
    """`NormalizeImage` / `Normalize`: per channel (x * scale - mean) / std, in the image's channel order."""

    mean: list[float]
    std: list[float]
    scale: float


# --- text detection and recognition (PP-OCR) ------------------------------------------------------


@_record
class DetResizeSpec(_Record):
    """`DetResizeForTest` in its limit-side mode."""

    limit_side_len: int
    limit_type: str
    max_side_limit: int


@_record
class DBPostProcessSpec(_Record):
    NAME = "DBPostProcess"
    thresh: float
    box_thresh: float
    unclip_ratio: float
    max_candidates: int
    use_dilation: bool
    score_mode: str
    box_type: str


@_record
class CTCLabelDecodeSpec(_Record):
    NAME = "CTCLabelDecode"
    OMIT_NONE = ("display_order",)
    character_list: list[str]
    # "bidi": PaddleX turns the decoded (logical-order) text into display order with python-bidi's get_display
    # (its Arabic recognizers); absent: the text as decoded.
    display_order: str | None = None


class FamilySpec(_Record):
    """A model family's spec. `output_order`: how a backend may reorder the model's output rows
    (runtime_min.compare.canonical); only detection specs carry one."""

    output_order: ClassVar[str | None] = None


@_record
class TextDetectionSpec(FamilySpec):
    NESTED = {"resize": DetResizeSpec, "normalize": NormalizeSpec, "postprocess": DBPostProcessSpec}
    img_mode: str  # "BGR" or "RGB": the channel order the model reads
    resize: DetResizeSpec
    normalize: NormalizeSpec
    postprocess: DBPostProcessSpec


@_record
class TextRecognitionSpec(FamilySpec):
    NESTED = {"postprocess": CTCLabelDecodeSpec}
    img_mode: str
    rec_image_shape: list[int]  # RecResizeImg.image_shape [C, H, W]
    postprocess: CTCLabelDecodeSpec


# --- image classification and its relatives (PaddleClas PreProcess) -------------------------------


@_record
class ClasResizeSpec(_Record):
    """`ResizeImage`: by the short side (`resize_short`) or to `size` (int or [w, h]); one of the two."""

    OMIT_NONE = ("resize_short", "size")
    resize_short: int | None = None
    size: int | list[int] | None = None
    interpolation: str


@_record
class CropSpec(_Record):
    """`CropImage`: a center crop to `size` (int or [w, h])."""

    size: int | list[int]


@_record
class TopkSpec(_Record):
    NAME = "Topk"
    topk: int
    label_list: list[str] | None


@_record
class MultiLabelThreshOutputSpec(_Record):
    NAME = "MultiLabelThreshOutput"
    thresholds: list[float]  # one per class
    label_list: list[str]


@_record
class NormalizeFeaturesSpec(_Record):
    NAME = "NormalizeFeatures"


@_record
class ClasPreprocessSpec(FamilySpec):
    """What runtime_min.ops.classification.preprocess reads: resize, optional center crop, normalize."""

    NESTED = {"resize": ClasResizeSpec, "crop": CropSpec, "normalize": NormalizeSpec}
    resize: ClasResizeSpec
    crop: CropSpec | None
    normalize: NormalizeSpec


@_record
class ImageClassificationSpec(ClasPreprocessSpec):
    """Image classification, and the OCR pipeline's text line and document orientation classifiers."""

    NESTED = {**ClasPreprocessSpec.NESTED, "postprocess": TopkSpec}
    postprocess: TopkSpec


@_record
class MultiLabelClassificationSpec(ClasPreprocessSpec):
    NESTED = {**ClasPreprocessSpec.NESTED, "postprocess": MultiLabelThreshOutputSpec}
    postprocess: MultiLabelThreshOutputSpec


@_record
class ImageFeatureSpec(ClasPreprocessSpec):
    NESTED = {**ClasPreprocessSpec.NESTED, "postprocess": NormalizeFeaturesSpec}
    postprocess: NormalizeFeaturesSpec


# --- semantic segmentation and anomaly detection (PaddleSeg Deploy.transforms) --------------------


@_record
class SegResizeSpec(_Record):
    """The segmentation `Resize`: target_size [w, h] ([-1, -1]: no resize)."""

    target_size: list[int]
    keep_ratio: bool
    size_divisor: int | None
    interpolation: str


@_record
class SegmentationSpec(FamilySpec):
    NESTED = {"resize": SegResizeSpec, "normalize": NormalizeSpec}
    resize: SegResizeSpec
    normalize: NormalizeSpec


@_record
class AnomalyDetectionSpec(SegmentationSpec):
    """Segmentation's pre-processing; the post-processing (MapToMask) is fixed."""


# --- object / layout detection and instance segmentation (PaddleDetection Preprocess) -------------


@_record
class DetectionResizeSpec(_Record):
    """The detection `Resize`: target_size [h, w], or keeping the ratio."""

    target_size: list[int]
    keep_ratio: bool
    interpolation: str


@_record
class DetPostProcessSpec(_Record):
    NAME = "DetPostProcess"
    threshold: float | int | dict  # a float filters; a {class id: float} map filters per class
    label_list: list[str]
    layout_nms: bool
    layout_unclip_ratio: list[float] | None
    layout_merge_bboxes_mode: str | None


@_record
class InstanceSegPostProcessSpec(_Record):
    NAME = "InstanceSegPostProcess"
    threshold: float
    label_list: list[str]


@_record
class DetectionSpec(FamilySpec):
    """Object and layout detection."""

    NESTED = {"resize": DetectionResizeSpec, "normalize": NormalizeSpec, "postprocess": DetPostProcessSpec}
    output_order: str | None = None
    feeds: list[str]  # PaddleX's ToBatch keys in the model's input order (img_size, img, scale_factors)
    resize: DetectionResizeSpec
    normalize: NormalizeSpec
    postprocess: DetPostProcessSpec


@_record
class InstanceSegmentationSpec(DetectionSpec):
    NESTED = {**DetectionSpec.NESTED, "postprocess": InstanceSegPostProcessSpec}
    postprocess: InstanceSegPostProcessSpec


# --- document image unwarping (PaddleX's WarpRunnerPredictor: fixed pre/post-processing) ----------


@_record
class DocTrPostProcessSpec(_Record):
    NAME = "DocTrPostProcess"
    scale: float  # the model's [0, 1] image times this, then truncated to uint8


@_record
class ImageUnwarpingSpec(FamilySpec):
    """UVDoc: the BGR image times `normalize.scale` (mean 0, std 1) in, the unwarped image out."""

    NESTED = {"normalize": NormalizeSpec, "postprocess": DocTrPostProcessSpec}
    img_mode: str
    normalize: NormalizeSpec
    postprocess: DocTrPostProcessSpec


# --- table structure recognition (PaddleX's TableRunnerPredictor: SLANet, SLANet_plus) -------------


@_record
class TableLabelDecodeSpec(_Record):
    """PaddleX's TableLabelDecode: structure tokens by argmax until `eos`, a box per cell token."""

    NAME = "TableLabelDecode"
    character_dict: list[str]  # PostProcess.character_dict as inference.yml lists it
    merge_no_span_structure: bool  # `<td></td>` appended and `<td>` removed before decoding
    # How a box in [0, 1] becomes pixels (PaddleX's _get_bbox_scales, keyed by model name): "original"
    # (SLANet: times the original width / height) or "padded" (times the padded size / resize ratio).
    box_scale: str


@_record
class TableStructureSpec(FamilySpec):
    """The BGR image resized so its long side is `resize_long`, normalized, zero-padded at the bottom /
    right to `pad_size` x `pad_size`; the model returns cell boxes and structure token probabilities."""

    NESTED = {"normalize": NormalizeSpec, "postprocess": TableLabelDecodeSpec}
    img_mode: str
    resize_long: int
    normalize: NormalizeSpec
    pad_size: int
    pad_value: float
    postprocess: TableLabelDecodeSpec


@_record
class UniMERNetDecodeSpec(_Record):
    """PaddleX's UniMERNetDecode: the ids up to the first `eos`, the tokenizer's decode, its post_process."""

    NAME = "UniMERNetDecode"
    character_dict: dict  # PostProcess.character_dict: fast_tokenizer_file (tokenizer.json), tokenizer_config_file


@_record
class FormulaRecognitionSpec(FamilySpec):
    """PP-FormulaNet: the RGB image margin-cropped, resized into `input_size` (PIL) and padded, grey-normalized,
    one channel padded to a multiple of `pad_multiple`; the model returns token ids (decoding in the graph)."""

    NESTED = {"postprocess": UniMERNetDecodeSpec}
    input_size: list[int]  # [height, width]
    pad_multiple: int  # LatexImageFormat 16
    postprocess: UniMERNetDecodeSpec


# --- time series (PaddleX's TSFc / TSAd / TSCls runner predictors on PaddleTS exports) --------------


@_record
class TSScalerSpec(_Record):
    """scaler.pkl's StandardScaler as numbers: `(x - mean) / scale` on `columns` in float64 (mean or scale None:
    that step off, as with_mean / with_std false)."""

    columns: list[str]
    mean: list[float] | None
    scale: list[float] | None


@_record
class TimeSeriesSpec(FamilySpec):
    """The window PaddleX cuts from a CSV and how it becomes the model's inputs (inference.yml's `size`,
    `info_params`, `input_data`, `scale`): the last in_chunk_len + skip_chunk_len rows, sorted by
    time, scaled, the model's inputs (sorted names) as float32 [1, time, columns]."""

    NESTED = {"scaler": TSScalerSpec}
    OMIT_NONE = ("out_chunk_len", "model_threshold")
    time_col: str
    freq: str | int | None  # a pandas offset alias ("1h"), an integer step, or None (inferred)
    columns: list[str]  # the value columns: target_cols (forecast, classification) or feature_cols (anomaly)
    in_chunk_len: int
    skip_chunk_len: int
    inputs: dict  # model input name → [batch, time, channels] as inference.yml's input_data
    scaler: TSScalerSpec | None
    out_chunk_len: int | None = None  # forecasting: the steps predicted
    model_threshold: float | None = None  # anomaly detection: the per-step error at which a step is anomalous


# --- the registry ---------------------------------------------------------------------------------

SPECS: dict[str, type[FamilySpec]] = {
    "text_detection": TextDetectionSpec,
    "text_recognition": TextRecognitionSpec,
    "image_classification": ImageClassificationSpec,
    "multilabel_classification": MultiLabelClassificationSpec,
    "image_feature": ImageFeatureSpec,
    "semantic_segmentation": SegmentationSpec,
    "anomaly_detection": AnomalyDetectionSpec,
    "object_detection": DetectionSpec,
    "layout_detection": DetectionSpec,
    "instance_segmentation": InstanceSegmentationSpec,
    "image_unwarping": ImageUnwarpingSpec,
    "table_structure_recognition": TableStructureSpec,
    "formula_recognition": FormulaRecognitionSpec,
    "ts_forecast": TimeSeriesSpec,
    "ts_anomaly_detection": TimeSeriesSpec,
    "ts_classification": TimeSeriesSpec,
}


def spec_from_dict(family: str, data: Mapping, where: str = "spec") -> FamilySpec:
    """The typed spec of a model of `family`; BundleError for an unknown family or a malformed spec."""
    if family not in SPECS:
        raise BundleError(f"bundle model family {family!r} is not supported by this runtime; supported: "
                          f"{', '.join(SPECS)}; upgrade hpi")
    return SPECS[family].from_dict(data, where)


# --- PaddleX 3.7.2's OCR pipeline parameters --------------------------------------------------------


@_record
class OcrParams(_Record):
    """The OCR pipeline's resolved parameters as a bundle stores them (`pipeline.params`): the OCR recipe
    builds them from the pipeline config, the runtime's OCR pipeline reads them. The optional branches'
    switches are present only when the branch is on (bundles without it stay as they were)."""

    OMIT_NONE = ("use_textline_orientation", "textline_orientation_batch_size", "use_doc_preprocessor",
                 "use_doc_orientation_classify", "return_word_box", "use_doc_unwarping")
    text_det_limit_side_len: int
    text_det_limit_type: str
    text_det_max_side_limit: int
    text_det_thresh: float
    text_det_box_thresh: float
    text_det_unclip_ratio: float
    text_rec_score_thresh: float
    rec_batch_size: int
    use_textline_orientation: bool | None = None  # True with the text line orientation model, else absent
    textline_orientation_batch_size: int | None = None
    use_doc_preprocessor: bool | None = None  # True with the document preprocessor, else absent
    use_doc_orientation_classify: bool | None = None
    return_word_box: bool | None = None  # True when SubModules.TextRecognition says so, else absent
    use_doc_unwarping: bool | None = None  # True with the document preprocessor's UVDoc model, else absent


@_record
class SealParams(OcrParams):
    """The seal_recognition pipeline's parameters as a bundle stores them: its SealOCR's OcrParams (the
    document preprocessor's switches there are the seal pipeline's own, run on the whole image before layout
    detection) and, with layout detection on, the layout model's effective post-processing (PaddleX's
    pipeline config values, else the model's inference.yml). Optional fields are absent when their branch is
    off, so bundles without layout detection stay as they were."""

    OMIT_NONE = (*OcrParams.OMIT_NONE, "use_layout_detection", "layout_threshold", "layout_nms",
                 "layout_unclip_ratio", "layout_merge_bboxes_mode")
    use_layout_detection: bool | None = None  # True with the layout model, else absent
    layout_threshold: float | int | dict | None = None  # as DetPostProcessSpec.threshold
    layout_nms: bool | None = None
    layout_unclip_ratio: list[float] | None = None  # [w, h]; absent: no unclipping
    layout_merge_bboxes_mode: str | None = None  # "union", "large", "small"; absent: none


@_record
class FormulaPipelineParams(_Record):
    """The formula_recognition pipeline's parameters as a bundle stores them: the formula model's batch size
    (PaddleX groups the crops by it) and, as SealParams, the document preprocessor's and layout detection's
    (absent when their branch is off)."""

    OMIT_NONE = ("use_doc_preprocessor", "use_doc_orientation_classify", "use_doc_unwarping", "use_layout_detection",
                 "layout_threshold", "layout_nms", "layout_unclip_ratio", "layout_merge_bboxes_mode")
    formula_batch_size: int
    use_doc_preprocessor: bool | None = None
    use_doc_orientation_classify: bool | None = None
    use_doc_unwarping: bool | None = None
    use_layout_detection: bool | None = None
    layout_threshold: float | int | dict | None = None
    layout_nms: bool | None = None
    layout_unclip_ratio: list[float] | None = None
    layout_merge_bboxes_mode: str | None = None


@_record
class RetrievalParams(_Record):
    """PP-ShiTuV2's and face_recognition's parameters as a bundle stores them (PaddleX's config values; the
    vector index is data, given at run time)."""

    OMIT_NONE = ("hamming_radius",)
    det_threshold: float | int | dict
    rec_threshold: float | int
    rec_topk: int
    hamming_radius: float | int | None = None

# The values of PaddleX's own OCR pipeline config (paddlex/configs/pipelines/OCR.yaml, what
# create_pipeline("OCR") runs with): the runtime's OcrRunner defaults (DEFAULT_PARAMS).
OCR_CONFIG_VALUES = {
    "text_det_limit_side_len": 64,
    "text_det_limit_type": "min",
    "text_det_max_side_limit": 4000,
    "text_det_thresh": 0.3,
    "text_det_box_thresh": 0.6,
    "text_det_unclip_ratio": 1.5,
    "text_rec_score_thresh": 0.0,
    "rec_batch_size": 6,
    "textline_orientation_batch_size": 6,
}

# What PaddleX's OCR pipeline code takes for a key its config leaves out (pipelines/ocr/pipeline.py,
# text_type "general"; a SubModule's batch_size defaults to 1 in BasePipeline.create_model): the
# OCR recipe's values for a config without the key.
OCR_UNSET_VALUES = {
    "text_det_limit_side_len": 960,
    "text_det_limit_type": "max",
    "text_det_max_side_limit": 4000,
    "text_det_thresh": 0.3,
    "text_det_box_thresh": 0.6,
    "text_det_unclip_ratio": 2.0,
    "text_rec_score_thresh": 0.0,
    "rec_batch_size": 1,
    "textline_orientation_batch_size": 1,
}

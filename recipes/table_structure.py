"""Table structure recognition (PaddleX module `table_structure_recognition`): SLANet, SLANet_plus,
SLANeXt_wired, SLANeXt_wireless (a SAM ViT encoder + the same SLAHead decoder, 512 x 512 input).

PaddleX's TableRunnerPredictor builds its processing from inference.yml by position: the non-label
ops of `PreProcess.transform_ops` must be DecodeImage, ResizeTableImage, NormalizeImage,
PaddingTableImage, ToCHWImage in that order (it applies them as `preprocessors[0..4]`), and
`transform_ops[1]` must be TableLabelEncode (it reads `merge_no_span_structure` there).
`PostProcess.character_dict` is the structure dictionary. The model's autoregressive decoder is an
ONNX `Loop` inside the graph; both CPU backends run it (OpenVINO after compiler/loops.py hoists the
loop-invariant carried values, an exact rewrite).
"""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.core.specs import NormalizeSpec, TableLabelDecodeSpec, TableStructureSpec
from hpi.recipes.base import ModelRecipe, Tolerance, channel_values, register_model
from hpi.runtime_min.ops.normalize import IMAGENET_MEAN, IMAGENET_STD

# The order TableRunnerPredictor.process applies its pre-processors in (label ops and KeepKeys build nothing).
_APPLIED = ("DecodeImage", "ResizeTableImage", "NormalizeImage", "PaddingTableImage", "ToCHWImage")
_SKIPPED = ("TableLabelEncode", "TableBoxEncode", "KeepKeys")


def _ops(config: dict) -> dict[str, dict]:
    listed = (config.get("PreProcess") or {}).get("transform_ops") or []
    ops, order = {}, []
    for op in listed:
        if not isinstance(op, dict) or len(op) != 1:
            raise CompileError(f"table structure PreProcess.transform_ops entry {op!r} is not a one-key map")
        (name, args), = op.items()
        if name not in _APPLIED + _SKIPPED:
            raise CompileError(f"table structure PreProcess op {name!r} is not supported "
                               f"({', '.join(_APPLIED + _SKIPPED)})")
        ops[name] = args or {}
        if name in _APPLIED:
            order.append(name)
    if tuple(order) != _APPLIED:
        raise CompileError(f"table structure PreProcess must apply {', '.join(_APPLIED)} in this order (PaddleX "
                           f"runs them by position); inference.yml has {', '.join(order) or 'none'}")
    if len(listed) < 2 or "TableLabelEncode" not in listed[1]:
        raise CompileError("table structure PreProcess.transform_ops[1] must be TableLabelEncode (PaddleX reads "
                           "merge_no_span_structure there)")
    return ops


def _pad_size(pad: dict) -> int:
    """PaddleX's build_padding: `Pad(target_size=size[0])`, a square (default [488, 448])."""
    size = pad.get("size", [488, 448])
    return int(size[0] if isinstance(size, list) else size)


@register_model
class TableStructureRecipe(ModelRecipe):
    family = "table_structure_recognition"
    model_names = ("SLANet", "SLANet_plus", "SLANeXt_wired", "SLANeXt_wireless")
    # PaddleX pads every image to S x S (PaddingTableImage size[0]: 488 SLANet, 512 SLANeXt), one image per call.
    default_profile = {"x": ([1, 3, 488, 488], [1, 3, 488, 488], [2, 3, 488, 488])}
    # Boxes in [0, 1] and softmax probabilities; the decoded tokens are argmaxes, so only a step whose two
    # best tokens are within the tolerance could flip. Measured ~1e-5 (see docs/pipelines.md).
    tolerance = Tolerance(atol=2e-4)
    # PaddleX's MKLDNN_BLOCKLIST holds all four names: it runs them on plain CPU kernels (oneDNN also corrupts the
    # heap on SLANeXt's windowed attention in paddle 3.0.0), and so does the compiler's Paddle reference.
    reference_mkldnn = False

    @classmethod
    def profile(cls, config):
        """inference.yml's Hpi shapes, else the padded square PaddleX feeds (1 to 2 images)."""
        if ((config.get("Hpi") or {}).get("backend_configs")):
            return super().profile(config)
        size = _pad_size(_ops(config)["PaddingTableImage"])
        return {"x": ([1, 3, size, size], [1, 3, size, size], [2, 3, size, size])}

    @classmethod
    def runtime_spec(cls, config):
        ops = _ops(config)
        decode = ops["DecodeImage"]
        if decode.get("img_mode", "BGR") != "BGR" or decode.get("channel_first", False):
            raise CompileError("table structure DecodeImage must be img_mode BGR, channel_first False (PaddleX "
                               "asserts it)")
        label = ops["TableLabelEncode"]
        if "merge_no_span_structure" not in label:
            raise CompileError("inference.yml TableLabelEncode has no merge_no_span_structure")
        post = config.get("PostProcess") or {}
        tokens = post.get("character_dict")
        if not isinstance(tokens, list) or not tokens or not all(isinstance(t, str) for t in tokens):
            raise CompileError("inference.yml PostProcess.character_dict must be a non-empty list of strings "
                               "(the table structure tokens)")
        norm = ops["NormalizeImage"]
        pad = ops["PaddingTableImage"]
        name = config["Global"]["model_name"]
        return TableStructureSpec(
            img_mode="BGR",
            resize_long=int(ops["ResizeTableImage"].get("max_len", 488)),
            # PaddleX's build_normalize passes mean and std only: the scale is Normalize's 1/255 whatever
            # inference.yml says.
            normalize=NormalizeSpec(mean=channel_values(norm.get("mean", IMAGENET_MEAN)),
                                    std=channel_values(norm.get("std", IMAGENET_STD)), scale=1 / 255),
            pad_size=_pad_size(pad),
            pad_value=float(pad.get("pad_value", 0)),
            postprocess=TableLabelDecodeSpec(character_dict=list(tokens),
                                             merge_no_span_structure=bool(label["merge_no_span_structure"]),
                                             box_scale="original" if name == "SLANet" else "padded"),
        )

    @classmethod
    def sample_inputs(cls, image, spec):
        from hpi.runtime_min.ops.table_structure import preprocess

        return {"x": preprocess(image, spec)[0]}

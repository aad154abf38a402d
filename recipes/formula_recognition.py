"""Formula recognition (PaddleX module `formula_recognition`): PP-FormulaNet-S / -L, PP-FormulaNet_plus-S / -M / -L.

PaddleX's FormulaRecRunnerPredictor runs, for these five names, UniMERNetImgDecode(input_size) ->
UniMERNetTestTransform -> LatexImageFormat -> the model -> UniMERNetDecode(character_dict) (its own order,
whatever inference.yml lists; the listed ops only give the arguments). The model is PaddleOCR's export: the
encoder and the whole greedy decoding (the mBART decoder with its past-key/value cache, `parallel_step`
tokens per step, stopping once every sequence holds `eos`) are one graph with an ONNX `Loop`, and the output
is the token ids, so the runtime only decodes them (docs/pipelines.md gives the measurements behind keeping
the loop in the graph). Refused by name: UniMERNet (UniMERNetImageFormat, a Donut-Swin encoder and a
counting decoder whose converted loop is not verified) and LaTeX_OCR_rec (MinMaxResize / LatexTestTransform /
NormalizeImage, one image per call, LaTeXOCRDecode).
"""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.core.specs import FormulaRecognitionSpec, UniMERNetDecodeSpec
from hpi.recipes.base import ModelRecipe, Tolerance, refuse_models, register_model, transform_ops

_KNOWN = ("DecodeImage", "UniMERNetImgDecode", "UniMERNetTestTransform", "LatexImageFormat",
          "UniMERNetLabelEncode", "KeepKeys")
_REFUSED = {
    "UniMERNet": "its encoder / counting decoder export is not verified by hpi yet",
    "LaTeX_OCR_rec": "its MinMaxResize / LaTeXOCRDecode processing is not implemented by hpi yet",
}


@register_model
class FormulaRecognitionRecipe(ModelRecipe):
    family = "formula_recognition"
    model_names = ("PP-FormulaNet-S", "PP-FormulaNet-L", "PP-FormulaNet_plus-S", "PP-FormulaNet_plus-M",
                   "PP-FormulaNet_plus-L")
    # PaddleOCR's export profile for the 384 models; the 768 ones (-L) carry theirs in inference.yml or
    # follow their input_size (profile()).
    default_profile = {"x": ([1, 1, 384, 384], [1, 1, 384, 384], [8, 1, 384, 384])}
    # The output is token ids: equal or not. Compared exactly by the compiler's verification.
    tolerance = Tolerance(atol=0.0)
    reference_mkldnn = False  # PaddleX's MKLDNN_BLOCKLIST holds every formula model

    @classmethod
    def profile(cls, config):
        backends = (config.get("Hpi") or {}).get("backend_configs") or {}
        if (backends.get("tensorrt") or {}).get("dynamic_shapes") or \
                (backends.get("paddle_infer") or {}).get("trt_dynamic_shapes"):
            return super().profile(config)
        h, w = _input_size(_ops(config))
        return {"x": ([1, 1, h, w], [1, 1, h, w], [8, 1, h, w])}

    @classmethod
    def runtime_spec(cls, config):
        ops = _ops(config)
        post = config.get("PostProcess") or {}
        if post.get("name") != "UniMERNetDecode":
            raise CompileError(f"formula PostProcess.name must be UniMERNetDecode for "
                               f"{config['Global']['model_name']}, got {post.get('name')!r}")
        chars = post.get("character_dict")
        if not isinstance(chars, dict) or not isinstance(chars.get("fast_tokenizer_file"), dict):
            raise CompileError("inference.yml PostProcess.character_dict must hold fast_tokenizer_file (the "
                               "tokenizer.json content) for UniMERNetDecode")
        return FormulaRecognitionSpec(input_size=list(_input_size(ops)), pad_multiple=16,
                                      postprocess=UniMERNetDecodeSpec(character_dict=chars))

    @classmethod
    def sample_inputs(cls, image, spec):
        from hpi.runtime_min.ops.formula import preprocess

        return {"x": preprocess(image, spec)}


refuse_models({name: f"formula model {name} is not supported: {reason} (supported: "
                      f"{', '.join(FormulaRecognitionRecipe.model_names)})" for name, reason in _REFUSED.items()})


def _ops(config: dict) -> dict[str, dict]:
    ops = transform_ops(config, "formula_recognition", known=_KNOWN, required=("UniMERNetImgDecode",))
    if (ops.get("DecodeImage") or {}).get("channel_first"):
        raise CompileError("formula DecodeImage must have channel_first False (PaddleX asserts it)")
    return ops


def _input_size(ops: dict) -> tuple[int, int]:
    size = ops["UniMERNetImgDecode"].get("input_size")
    if not (isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size)):
        raise CompileError(f"formula UniMERNetImgDecode.input_size must be [height, width], got {size!r}")
    return int(size[0]), int(size[1])

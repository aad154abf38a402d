"""Recipe base classes and their registries."""

from __future__ import annotations

from typing import ClassVar, Mapping, Sequence

import numpy as np

from hpi.core.errors import CompileError
from hpi.core.specs import FamilySpec
from hpi.runtime_min.compare import Tolerance

Profile = dict[str, tuple[list[int], list[int], list[int]]]  # input → (min, opt, max)


def channel_values(value) -> list[float]:
    """A normalization mean or std as PaddleX reads it (one number stands for all three channels), as floats."""
    values = [value] * 3 if isinstance(value, (int, float)) else value
    return [float(v) for v in values]


def _missing(family: str, required: Sequence[str], found: Mapping, where: str) -> None:
    for op in required:
        if op not in found:
            article = "an" if family[0] in "aeiou" else "a"
            raise CompileError(f"inference.yml of {article} {family} model has no {op} in {where}")


def transform_ops(config: dict, family: str, known: Sequence[str] | None = None,
                  required: Sequence[str] = ()) -> dict[str, dict]:
    """inference.yml's `PreProcess.transform_ops` (PaddleClas / PaddleOCR form: a list of one-key maps
    `{op name: args}`) as {op name: args}, in the listed order. With `known`, any other op is a
    CompileError (the predictor would not run it); so is a missing `required` op."""
    ops = {}
    for op in (config.get("PreProcess") or {}).get("transform_ops") or []:
        if not isinstance(op, dict) or len(op) != 1:
            raise CompileError(f"{family} PreProcess.transform_ops entry {op!r} is not a one-key map")
        (name, args), = op.items()
        if known is not None and name not in known:
            raise CompileError(f"{family} PreProcess op {name!r} is not supported ({', '.join(known)})")
        ops[name] = args or {}
    _missing(family, required, ops, "PreProcess")
    return ops


def typed_transforms(items, family: str, where: str, known: Mapping[str, Sequence[str] | None],
                     required: Sequence[str] = ()) -> dict[str, dict]:
    """A list of `{type: op name, **args}` maps (PaddleDetection's `Preprocess`, PaddleSeg's
    `Deploy.transforms`, found at `where`) as {op name: args}. An op outside `known`, an argument
    outside `known[op]` (None: any) or a missing `required` op is a CompileError."""
    ops = {}
    for item in items or []:
        args = dict(item or {})
        name = args.pop("type", None)
        if name not in known:
            raise CompileError(f"{family} {where} op {name!r} is not supported ({', '.join(known)})")
        unknown = sorted(set(args) - set(known[name])) if known[name] is not None else []
        if unknown:
            raise CompileError(f"{family} transform {name} has unknown arguments {unknown} "
                               f"(PaddleX takes {', '.join(known[name])})")
        ops[name] = args
    _missing(family, required, ops, where)
    return ops


class ModelRecipe:
    family: ClassVar[str]
    model_names: ClassVar[tuple[str, ...]]
    default_profile: ClassVar[Profile]
    tolerance: ClassVar[Tolerance]
    # The tolerance a reduced-precision TensorRT engine must meet (compiler.gpu.TENSORRT_PRECISIONS);
    # None = the fp32 tolerance, so fp16 is kept only when it is as exact.
    fp16_tolerance: ClassVar[Tolerance | None] = None
    # Values for inputs that carry data (profile_input_data) when inference.yml has none.
    default_profile_input_data: ClassVar[dict] = {}
    # Whether PaddleX runs the family on CPU with MKLDNN (its MKLDNN_BLOCKLIST says no for some models);
    # the compiler's Paddle reference is configured the same way (compiler/reference.py).
    reference_mkldnn: ClassVar[bool] = True

    @classmethod
    def profile(cls, config: dict) -> Profile:
        """`Hpi.backend_configs` of inference.yml (tensorrt, else paddle_infer), else the recipe default."""
        backends = (config.get("Hpi") or {}).get("backend_configs") or {}
        shapes = (backends.get("tensorrt") or {}).get("dynamic_shapes") or \
            (backends.get("paddle_infer") or {}).get("trt_dynamic_shapes")
        if not shapes:
            return {k: tuple(list(s) for s in v) for k, v in cls.default_profile.items()}
        profile = {}
        for name, triple in shapes.items():
            if len(triple) != 3 or any(len(s) != len(triple[0]) for s in triple):
                raise CompileError(f"inference.yml Hpi dynamic shapes for {name!r} must be [min, opt, max] "
                                   f"of equal rank, got {triple}")
            profile[name] = tuple([int(d) for d in s] for s in triple)
        return profile

    @classmethod
    def profile_input_data(cls, config: dict) -> dict[str, tuple[list[float], list[float], list[float]]]:
        """Values for inputs that carry data rather than pixels (e.g. a detector's `scale_factor`), per
        profile corner, flat: PaddleX's `Hpi.backend_configs.paddle_infer.trt_dynamic_shape_input_data`,
        else the recipe's default. The compiler's min/opt/max cases use them instead of random numbers."""
        paddle_infer = ((config.get("Hpi") or {}).get("backend_configs") or {}).get("paddle_infer") or {}
        data = paddle_infer.get("trt_dynamic_shape_input_data") or cls.default_profile_input_data
        for name, triple in data.items():
            if len(triple) != 3:
                raise CompileError(f"inference.yml trt_dynamic_shape_input_data for {name!r} must be "
                                   f"[min, opt, max] value lists, got {triple}")
        return {name: tuple([float(v) for v in values] for values in triple) for name, triple in data.items()}

    @classmethod
    def runtime_spec(cls, config: dict) -> FamilySpec:
        """The model's pre/post-processing spec for the runtime (its family's record in hpi.core.specs),
        from its inference.yml; the manifest stores its `to_dict()`."""
        raise NotImplementedError

    @classmethod
    def spec_for(cls, source) -> FamilySpec:
        """The spec of a model dir (compiler.source.ModelSource): runtime_spec of its inference.yml, unless the
        family reads more of the dir (time series: the numbers of its scaler.pkl)."""
        return cls.runtime_spec(source.config)

    @classmethod
    def sample_inputs(cls, image: np.ndarray, spec: FamilySpec) -> dict[str, np.ndarray]:
        """Model inputs made from one calibration image with the runtime's own pre-processing."""
        raise NotImplementedError


class PipelineRecipe:
    name: ClassVar[str]
    # SubModules key in the PaddleX config → model role in the bundle (every module the pipeline knows)
    modules: ClassVar[dict[str, str]]

    @classmethod
    def modules_for(cls, config: dict) -> dict[str, str]:
        """The modules this config enables (all by default); only these need a SubModules entry."""
        return dict(cls.modules)

    @classmethod
    def module_config(cls, config: dict, key: str) -> tuple[str, dict | None]:
        """(where in the config, the module's settings) of a modules_for key; SubModules.<key> unless
        the module belongs to a sub-pipeline."""
        return f"SubModules.{key}", (config.get("SubModules") or {}).get(key)

    @classmethod
    def params(cls, config: dict, models: dict[str, dict]) -> dict:
        """Resolved pipeline parameters; `models` maps role → that model's runtime spec (as the manifest
        stores it)."""
        raise NotImplementedError


_MODELS: dict[str, type[ModelRecipe]] = {}
_PIPELINES: dict[str, type[PipelineRecipe]] = {}


def register_model(cls: type[ModelRecipe]) -> type[ModelRecipe]:
    for name in cls.model_names:
        _MODELS[name] = cls
    return cls


def register_pipeline(cls: type[PipelineRecipe]) -> type[PipelineRecipe]:
    _PIPELINES[cls.name] = cls
    return cls


_REFUSED: dict[str, str] = {}  # model name → the one-line reason it is refused


def refuse_models(reasons: Mapping[str, str]) -> None:
    """Names a family knows but does not compile: model_recipe_for raises each one's reason."""
    _REFUSED.update(reasons)


def model_recipe_for(model_name: str) -> type[ModelRecipe]:
    if model_name in _REFUSED:
        raise CompileError(_REFUSED[model_name])
    if model_name not in _MODELS:
        raise CompileError(f"unknown model {model_name!r} (Global.model_name in inference.yml); "
                           f"supported: {', '.join(sorted(_MODELS))}")
    return _MODELS[model_name]


def pipeline_recipe_for(name: str) -> type[PipelineRecipe]:
    if name not in _PIPELINES:
        raise CompileError(f"unknown pipeline {name!r} (pipeline_name); supported: {', '.join(sorted(_PIPELINES))}")
    return _PIPELINES[name]


def all_pipeline_recipes() -> list[type[PipelineRecipe]]:
    return [_PIPELINES[name] for name in sorted(_PIPELINES)]


def all_model_recipes() -> list[type[ModelRecipe]]:
    return sorted(set(_MODELS.values()), key=lambda c: c.family)

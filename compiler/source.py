"""Reading compiler inputs: a PaddleX model dir or a PaddleX pipeline config."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hpi.core.errors import CompileError

# model file sets PaddleX accepts, by format
_FORMATS = {
    "paddle_pir": ("inference.json", "inference.pdiparams"),
    "paddle_legacy": ("inference.pdmodel", "inference.pdiparams"),
    "onnx": ("inference.onnx",),
}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _load_yaml(path: Path, what: str) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CompileError(f"cannot read {what} {path}: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise CompileError(f"{what} {path} is not a YAML mapping")
    return data


@dataclass
class ModelSource:
    model_dir: Path
    model_name: str
    format: str
    config: dict
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def is_paddle(self) -> bool:
        return self.format.startswith("paddle")

    def hashes(self) -> dict[str, str]:
        return {name: sha256_file(path) for name, path in sorted(self.files.items())}


def read_model_dir(model_dir: Path) -> ModelSource:
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise CompileError(f"model dir {model_dir} not found")
    config_path = model_dir / "inference.yml"
    if not config_path.is_file():
        raise CompileError(f"{model_dir} has no inference.yml; expected a PaddleX model dir "
                           "(inference.yml + inference.json/.pdmodel + inference.pdiparams, or inference.onnx)")
    config = _load_yaml(config_path, "inference.yml")
    model_name = (config.get("Global") or {}).get("model_name")
    if not model_name:
        raise CompileError(f"{config_path} has no Global.model_name")
    for fmt, names in _FORMATS.items():
        if (model_dir / names[0]).is_file():
            missing = [n for n in names if not (model_dir / n).is_file()]
            if missing:
                raise CompileError(f"{model_dir} has {names[0]} but no {', '.join(missing)}")
            empty = [n for n in names if (model_dir / n).stat().st_size == 0]
            if empty:
                raise CompileError(f"{model_dir}: {', '.join(empty)} is empty")
            files = {n: model_dir / n for n in (*names, "inference.yml")}
            if (model_dir / "scaler.pkl").is_file():  # time series models: PaddleTS's fitted scaler
                files["scaler.pkl"] = model_dir / "scaler.pkl"
            return ModelSource(model_dir, model_name, fmt, config, files)
    raise CompileError(f"{model_dir} has no model file: expected inference.json, inference.pdmodel or inference.onnx")


def paddlex_cache_dir() -> Path:
    """PaddleX's model cache: `$PADDLE_PDX_CACHE_HOME/official_models`, by default
    `~/.paddlex/official_models` (paddlex/utils/cache.py, inference/utils/official_models.py)."""
    home = os.environ.get("PADDLE_PDX_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".paddlex")
    return Path(home).absolute() / "official_models"


def paddlex_cached_model(config_path: Path, where: str, model_name: str | None) -> Path:
    """The model dir PaddleX itself would use for `model_dir: null`: `<cache>/<model_name>` (what
    its Paddle engine downloads), else `<cache>/<model_name>_onnx` (what its onnxruntime engine
    downloads). CompileError naming the paths looked at and the command that fetches the model."""
    if not model_name:
        raise CompileError(f"{config_path}: {where} has neither model_dir nor model_name")
    cache = paddlex_cache_dir()
    for candidate in (cache / model_name, cache / f"{model_name}_onnx"):
        if candidate.is_dir():
            return candidate
    raise CompileError(
        f"{config_path}: {where}.model_dir is null and PaddleX's model cache has no {cache / model_name} "
        f"(nor {model_name}_onnx; $PADDLE_PDX_CACHE_HOME moves the cache): fetch it with PaddleX, "
        f"python -c \"from paddlex import create_model; create_model('{model_name}')\", or set model_dir")


@dataclass
class PipelineSource:
    path: Path
    name: str
    config: dict
    models: dict[str, ModelSource]  # by SubModules key


def read_pipeline_config(path: Path) -> PipelineSource:
    """A PaddleX pipeline YAML; `model_dir`s are resolved relative to the YAML's folder, and a null one
    from PaddleX's model cache (paddlex_cached_model)."""
    path = Path(path)
    config = _load_yaml(path, "pipeline config")
    name = config.get("pipeline_name")
    if not name:
        raise CompileError(f"{path} has no pipeline_name; expected a PaddleX pipeline config such as OCR.yaml")
    from hpi.recipes import pipeline_recipe_for

    recipe = pipeline_recipe_for(name)
    models = {}
    for key in recipe.modules_for(config):
        where, module = recipe.module_config(config, key)
        if not module:
            raise CompileError(f"{path}: {where} is missing; add it with model_name and model_dir")
        if module.get("model_dir"):
            source = read_model_dir((path.parent / module["model_dir"]).resolve())
        else:
            source = read_model_dir(paddlex_cached_model(path, where, module.get("model_name")))
        declared = module.get("model_name")
        if declared and declared != source.model_name:
            raise CompileError(f"{path}: {where}.model_name is {declared!r} but {source.model_dir} "
                               f"holds {source.model_name!r}")
        models[key] = source
    return PipelineSource(path, name, config, models)

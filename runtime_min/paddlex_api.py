"""PaddleX 3.7.2's Python face over bundles: a PaddleX user changes one import and one path.

    from hpi.runtime_min import create_pipeline         # was: from paddlex import create_pipeline
    pipeline = create_pipeline(pipeline="ocr.hpi")      # was: pipeline="OCR"
    output = pipeline.predict("img.jpg", use_doc_orientation_classify=False)
    for res in output:
        res.print()
        res.save_to_img(save_path="output/")
        res.save_to_json(save_path="output/")

`create_pipeline` / `create_model` take PaddleX's arguments: `device` ("cpu", "gpu", "gpu:0"), `engine` and
`hpi_config={"backend": ...}` (onnxruntime, openvino, tensorrt), `use_hpip` (a bundle is always the
high-performance path). What a bundle fixed at compile time (`config`, `pp_option`, `engine_config`) is
refused with the fix. Results are dicts of PaddleX's JSON fields with its `print()`, `str`, `json`, `img`,
`save_to_json`, `save_to_img`, `save_to_html` and `save_to_xlsx` (table pipelines, PP-StructureV3),
`save_to_markdown` (PP-StructureV3) and `save_all`, and PaddleX's file names.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from hpi.core.errors import UsageError
from hpi.runtime_min.api import Pipeline, open_bundle
from hpi.runtime_min.result import Result, plain

__all__ = ["create_model", "create_pipeline"]

_ENGINES = ("onnxruntime", "openvino", "tensorrt")


def _device(device: str | None) -> str:
    """PaddleX's device string as hpi's: None -> auto, cpu, gpu / gpu:0 -> gpu."""
    if device is None:
        return "auto"
    kind, _, index = str(device).partition(":")
    if kind == "cpu" and not index:
        return "cpu"
    if kind == "gpu" and index in ("", "0"):
        return "gpu"
    if kind == "gpu" and index.isdigit():
        raise UsageError(f"device={device!r}: hpi runs on the first visible GPU; fix: device='gpu' with "
                         f"CUDA_VISIBLE_DEVICES={index}")
    raise UsageError(f"device={device!r}: a bundle runs on 'cpu' or 'gpu' ('gpu:0'); leave it unset to choose")


def _backend(engine: str | None, hpi_config: dict | None) -> str | None:
    """PaddleX's engine (or hpi_config's backend) as an hpi backend; None lets the bundle choose."""
    hpi_backend = (hpi_config or {}).get("backend")
    unknown = sorted(set(hpi_config or {}) - {"backend"})
    if unknown:
        raise UsageError(f"hpi_config keys {', '.join(unknown)}: a bundle fixed them at compile time; "
                         "fix: pass only hpi_config={'backend': ...} (or engine=...)")
    if engine is not None and hpi_backend is not None and engine != hpi_backend:
        raise UsageError(f"engine={engine!r} and hpi_config backend {hpi_backend!r} disagree; give one")
    chosen = engine or hpi_backend
    if chosen is None:
        return None
    if chosen not in _ENGINES:
        raise UsageError(f"engine {chosen!r}: a bundle runs on {', '.join(_ENGINES)} (no Paddle); "
                         "leave it unset to let the bundle choose")
    return chosen


def _open(path, device, engine, hpi_config, fixed: dict, extra: dict, what: str) -> "Predictor":
    given = sorted(name for name, value in fixed.items() if value is not None)
    if given:
        raise UsageError(f"{', '.join(given)}: a bundle fixed its models and their options at compile time; "
                         "fix: leave them out, or recompile with hpi-compile")
    if extra:
        raise UsageError(f"{what}() got unknown argument(s) {', '.join(sorted(extra))}")
    if path is None or not str(path).endswith(".hpi") and not Path(path).is_file():
        raise UsageError(f"{what}({path!r}): hpi runs compiled bundles; fix: hpi-compile the PaddleX "
                         f"config or model dir to a .hpi file and pass its path")
    return Predictor(open_bundle(path, backend=_backend(engine, hpi_config), device=_device(device)))


def create_pipeline(pipeline=None, *, config=None, device=None, engine=None, engine_config=None, pp_option=None,
                    use_hpip=None, hpi_config=None, **kwargs) -> "Predictor":
    """PaddleX's `create_pipeline` with a bundle path as `pipeline`."""
    return _open(pipeline, device, engine, hpi_config,
                 {"config": config, "engine_config": engine_config, "pp_option": pp_option}, kwargs,
                 "create_pipeline")


def create_model(model_name=None, model_dir=None, device=None, engine=None, engine_config=None, pp_option=None,
                 use_hpip=None, hpi_config=None, **kwargs) -> "Predictor":
    """PaddleX's `create_model` with a bundle path as `model_name` (or `model_dir`)."""
    path = model_dir if model_dir is not None else model_name
    return _open(path, device, engine, hpi_config, {"engine_config": engine_config, "pp_option": pp_option},
                 kwargs, "create_model")


class Predictor:
    """What PaddleX's create_pipeline / create_model return: `predict(input, **params)` (and calling it)
    yields PaddleXResult objects one input at a time."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline

    def predict(self, input, **params):
        """PaddleX's per-call parameters by its names (see Pipeline.predict); `batch_size` is taken and
        changes nothing (results are per input either way)."""
        batch_size = params.pop("batch_size", 1)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise UsageError(f"batch_size must be a positive integer, got {batch_size!r}")
        for result in self.pipeline.predict(input, **params):
            yield PaddleXResult(result)

    __call__ = predict

    def build_index(self, gallery_imgs, gallery_label, metric_type="IP", index_type="HNSW32", **kwargs):
        """PP-ShiTuV2 / face_recognition bundles: PaddleX's build_index; `.save(DIR)` the index it returns, and
        pass it (or DIR) as predict(input, index=...)."""
        return self.pipeline.build_index(gallery_imgs, gallery_label, metric_type, index_type, **kwargs)

    def append_index(self, gallery_imgs, gallery_label, index):
        return self.pipeline.append_index(gallery_imgs, gallery_label, index)

    def remove_index(self, remove_ids, index):
        return self.pipeline.remove_index(remove_ids, index)

    def close(self) -> None:
        self.pipeline.close()


def _is(kind: str, path) -> bool:
    mime, _ = mimetypes.guess_type(str(path))
    return mime is not None and (mime == kind if "/" in kind else mime.startswith(kind + "/"))


class PaddleXResult(dict):
    """One input's result: a dict of PaddleX's JSON fields, with PaddleX's result methods."""

    def __init__(self, result: Result):
        super().__init__(result.to_dict())
        self._result = result

    def _stem(self) -> Path:
        return Path(self._result.input_path or "array")

    @property
    def json(self) -> dict:
        return {"res": plain(dict(self))}

    @property
    def str(self) -> dict:
        return {"res": dict(self)}

    def print(self, json_format: bool = False, indent: int = 4, ensure_ascii: bool = False) -> None:
        print(json.dumps(self.json, indent=indent, ensure_ascii=ensure_ascii) if json_format else self.str)

    @property
    def img(self) -> dict:
        """PaddleX's pictures by key (PIL images), drawn as `save_to_img` draws them."""
        return self._result.pictures()

    def save_to_img(self, save_path, *args, **kwargs) -> None:
        """An image file path (the first picture), or a folder for `<input stem>_<key><input suffix>` each."""
        pictures = self.img
        if _is("image", save_path):
            targets = [(Path(save_path), next(iter(pictures.values())))] if pictures else []
        else:
            fn = self._stem()
            suffix = fn.suffix if _is("image", fn) else ".png"
            targets = [(Path(save_path) / f"{fn.stem}_{key}{suffix}", img) for key, img in pictures.items()]
        for target, img in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            (img.convert("RGB") if target.suffix.lower() in (".jpg", ".jpeg") else img).save(target)

    def save_to_json(self, save_path, indent: int = 4, ensure_ascii: bool = False, *args, **kwargs) -> None:
        """A `.json` path, or a folder for `<input stem>_res.json`."""
        target = Path(save_path) if _is("application/json", save_path) else \
            Path(save_path) / f"{self._stem().stem}_res.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.json["res"], indent=indent, ensure_ascii=ensure_ascii), encoding="utf-8")

    def save_to_html(self, save_path) -> None:
        self._result.save_to_html(save_path)

    def save_to_markdown(self, save_path, *args, **kwargs) -> None:
        """PP-StructureV3's Markdown and its pictures (Result.save_to_markdown)."""
        self._result.save_to_markdown(save_path)

    def save_to_xlsx(self, save_path) -> None:
        """Each table as an Excel workbook (the `[xlsx]` extra), as PaddleX's save_to_xlsx."""
        self._result.save_to_xlsx(save_path)

    def save_all(self, save_path) -> None:
        """Every output PaddleX's save_all writes for this result: JSON, pictures and, for tables, HTML and Excel
        (the `[xlsx]` extra, as PaddleX needs openpyxl); for PP-StructureV3, Markdown."""
        self.save_to_json(save_path)
        self.save_to_img(save_path)
        if self._result.has_html():
            self.save_to_html(save_path)
        if self._result.has_xlsx():
            self.save_to_xlsx(save_path)
        if self._result.has_markdown():
            self.save_to_markdown(save_path)

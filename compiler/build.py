"""The compile driver: model source → verified artifacts → manifest entry; sources → one bundle.

For each model, conversion candidates (converter version × opset × simplifier) are tried in order; the
first whose ONNX and OpenVINO IR both load in the runtime's own backends and reproduce the reference
on every case within the recipe's tolerance is kept. The rest is recorded in the error if none passes.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from hpi.compiler import convert
from hpi.compiler.source import ModelSource, PipelineSource, sha256_file
from hpi.compiler.verify import Case, verify_session
from hpi.recipes import model_recipe_for, pipeline_recipe_for
from hpi.runtime_min import backends
from hpi.runtime_min.errors import CompileError, UsageError, VerificationError

Log = Callable[[str], None]
SIMPLIFIERS = ("onnxslim", "none")
CPU_BACKEND_CONFIG = {
    # OpenVINO picks bf16 by itself on CPUs with AVX-512 BF16/AMX; fp32 is what was verified.
    "openvino": {"INFERENCE_PRECISION_HINT": "f32"},
    "onnxruntime": {},
}
SUPPORTED_TARGETS = ("cpu",)


@dataclass
class CompiledModel:
    entry: dict
    members: dict[str, bytes] = field(default_factory=dict)


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def _reference_outputs(source: ModelSource, feeds_by_case: dict) -> dict[str, list[np.ndarray]]:
    if source.is_paddle:
        from hpi.compiler.reference import run_reference

        return run_reference(source, feeds_by_case)
    # An ONNX source has no Paddle model: the source itself on ONNX Runtime is the reference.
    session = backends.get("onnxruntime").load({"model": source.files["inference.onnx"].read_bytes()}, {}, None)
    return {case: session.run(feeds) for case, feeds in feeds_by_case.items()}


def _cases(source: ModelSource, recipe, profile, spec, images: list[Path]) -> list[Case]:
    from hpi.runtime_min.ops.image_io import read_image

    rng = np.random.default_rng(0)
    feeds_by_case = {}
    for i, corner in enumerate(("min", "opt", "max")):
        feeds_by_case[corner] = {name: rng.standard_normal(shapes[i]).astype(np.float32)
                                 for name, shapes in profile.items()}
    for path in images:
        try:
            feeds_by_case[f"image:{path.name}"] = recipe.sample_inputs(read_image(str(path)), spec)
        except ValueError as exc:
            raise UsageError(f"calibration image {path}: {exc}") from None
    expected = _reference_outputs(source, feeds_by_case)
    return [Case(name, feeds, expected[name]) for name, feeds in feeds_by_case.items()]


def _artifacts(key: str, onnx_bytes: bytes, xml: bytes, weights: bytes) -> tuple[list[dict], dict[str, bytes]]:
    base = f"models/{key}"
    members = {f"{base}/model.onnx": onnx_bytes, f"{base}/openvino/model.xml": xml,
               f"{base}/openvino/model.bin": weights}
    artifacts = [
        {"target": "cpu", "format": "onnx", "precision": "fp32", "members": {"model": f"{base}/model.onnx"},
         "config": CPU_BACKEND_CONFIG["onnxruntime"]},
        {"target": "cpu", "format": "openvino_ir", "precision": "fp32",
         "members": {"xml": f"{base}/openvino/model.xml", "weights": f"{base}/openvino/model.bin"},
         "config": CPU_BACKEND_CONFIG["openvino"]},
    ]
    return artifacts, members


def _verify_candidate(files_by_backend: dict, cases, output_names, tol) -> dict[str, list]:
    results = {}
    for name, files in files_by_backend.items():
        session = backends.get(name).load(files, CPU_BACKEND_CONFIG[name], None)
        results[name] = verify_session(session, cases, output_names, tol)
    return results


def _io_signature(onnx_bytes: bytes) -> tuple[list[dict], list[str]]:
    import onnx

    graph = onnx.load_model_from_string(onnx_bytes).graph
    inputs = [{"name": i.name, "dtype": onnx.helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type).name,
               "shape": [d.dim_value if d.HasField("dim_value") else -1 for d in i.type.tensor_type.shape.dim]}
              for i in graph.input]
    return inputs, [o.name for o in graph.output]


def compile_model(key: str, source: ModelSource, images: list[Path], log: Log) -> CompiledModel:
    recipe = model_recipe_for(source.model_name)
    spec = recipe.runtime_spec(source.config)
    profile = recipe.profile(source.config)
    if not source.is_paddle:
        convert.check_operators(source.files["inference.onnx"])
    log(f"{key}: running the reference on {3 + len(images)} cases")
    cases = _cases(source, recipe, profile, spec, images)
    failures = []
    with tempfile.TemporaryDirectory(prefix="hpi-compile-") as tmp:
        tmp = Path(tmp)
        for attempt, (converter, opset) in enumerate(_conversions(source, recipe)):
            raw = tmp / f"raw{attempt}.onnx"
            try:
                if converter is None:
                    raw.write_bytes(source.files["inference.onnx"].read_bytes())
                else:
                    log(f"{key}: paddle2onnx {converter.version}, opset {opset}")
                    model_file = source.files.get("inference.pdmodel") or source.files["inference.json"]
                    convert.onnx_from_paddle(model_file, source.files["inference.pdiparams"], raw, converter, opset)
                    convert.check_operators(raw)
            except CompileError as exc:
                failures.append(str(exc))
                continue
            for simplifier in SIMPLIFIERS:
                label = f"{'source onnx' if converter is None else f'paddle2onnx {converter.version} opset {opset}'}" \
                        f" + {simplifier}"
                try:
                    log(f"{key}: {label}: simplify, OpenVINO IR, verify")
                    onnx_path = convert.simplify(raw, tmp / f"model{attempt}_{simplifier}.onnx", simplifier)
                    xml = convert.ir_from_onnx(onnx_path, tmp / f"ir{attempt}_{simplifier}" / "model.xml")
                    onnx_bytes, xml_bytes = onnx_path.read_bytes(), xml.read_bytes()
                    weights = xml.with_suffix(".bin").read_bytes()
                    inputs, output_names = _io_signature(onnx_bytes)
                    results = _verify_candidate(
                        {"onnxruntime": {"model": onnx_bytes}, "openvino": {"xml": xml_bytes, "weights": weights}},
                        cases, output_names, recipe.tolerance)
                except Exception as exc:  # a converter's output that does not even load is one more failed candidate
                    failures.append(f"{label}: {type(exc).__name__}: {str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ''}")
                    continue
                bad = [(b, d) for b, diffs in results.items() for d in diffs if not d.passed]
                if bad:
                    failures.append(f"{label}: {bad[0][0]} {bad[0][1].describe()} > atol {recipe.tolerance.atol}")
                    continue
                artifacts, members = _artifacts(key, onnx_bytes, xml_bytes, weights)
                golden = next(c for c in cases if c.name == "opt")
                for name, array in golden.feeds.items():
                    members[f"golden/{key}/input_{name}.npy"] = _npy(array)
                for i, array in enumerate(golden.expected):
                    members[f"golden/{key}/output_{i}.npy"] = _npy(array)
                entry = {
                    "model_name": source.model_name,
                    "family": recipe.family,
                    "source": {"format": source.format, "files": source.hashes()},
                    "inputs": inputs,
                    "outputs": output_names,
                    "shape_profile": {n: dict(zip(("min", "opt", "max"), s)) for n, s in profile.items()},
                    "spec": spec,
                    "conversion": {"converter": converter.to_dict() if converter else None,
                                   "opset": opset, "simplifier": simplifier},
                    "artifacts": artifacts,
                    "verification": {
                        "reference": "paddle_inference" if source.is_paddle else "source_onnx_onnxruntime",
                        "tolerance": recipe.tolerance.to_dict(),
                        "cases": [c.name for c in cases],
                        "backends": {b: {"passed": True, "max_abs": max(d.max_abs for d in diffs),
                                         "diffs": [d.to_dict() for d in diffs]} for b, diffs in results.items()},
                        "rejected_candidates": failures,
                    },
                    "golden": {"case": "opt", "inputs": {n: f"golden/{key}/input_{n}.npy" for n in golden.feeds},
                               "outputs": [f"golden/{key}/output_{i}.npy" for i in range(len(golden.expected))],
                               "tolerance": recipe.tolerance.to_dict()},
                    "backend_preference": recipe.backend_preference,
                }
                log(f"{key}: verified ({label}); max abs diff "
                    + ", ".join(f"{b} {entry['verification']['backends'][b]['max_abs']:.2g}" for b in results))
                return CompiledModel(entry, members)
    raise VerificationError(f"{key} ({source.model_name}): no conversion reproduced the reference: " + " | ".join(failures))


def _conversions(source: ModelSource, recipe):
    if not source.is_paddle:
        yield None, None
        return
    usable = [c for c in convert.converters() if c.accepts(source.format)]
    if not usable:
        raise CompileError(f"{source.model_dir}: no installed paddle2onnx reads {source.format} models "
                           "(PIR inference.json needs paddle2onnx>=2; run scripts/setup.sh)")
    for converter in usable:
        for opset in recipe.opsets:
            yield converter, opset


def _hpi_version() -> str:
    from importlib.metadata import version

    return version("hpi")


def _check_targets(targets: list[str]) -> list[str]:
    unknown = [t for t in targets if t not in SUPPORTED_TARGETS]
    if unknown:
        raise UsageError(f"unsupported target {', '.join(unknown)}; supported: {', '.join(SUPPORTED_TARGETS)}")
    return sorted(set(targets))


def _bundle(pipeline: dict, models: dict[str, CompiledModel], targets: list[str], images: list[Path],
            source_config: dict) -> tuple[dict, dict[str, bytes]]:
    members: dict[str, bytes] = {}
    for model in models.values():
        members.update(model.members)
    first = next(iter(models.values())).entry
    manifest = {
        "created_by": {"hpi": _hpi_version(), "tools": convert.tool_versions()},
        "pipeline": pipeline,
        "models": {key: m.entry for key, m in models.items()},
        "targets": targets,
        "backend_preference": {t: first["backend_preference"][t] for t in targets},
        "compile_options": {"targets": targets, "source_config": source_config,
                            "calibration_images": {p.name: sha256_file(p) for p in images}},
    }
    return manifest, members


def compile_model_dir(source: ModelSource, targets: list[str], images: list[Path], log: Log):
    """A single model: its bundle runs the model family's own pipeline."""
    targets = _check_targets(targets)
    recipe = model_recipe_for(source.model_name)
    model = compile_model(recipe.family, source, images, log)
    pipeline = {"name": recipe.family, "models": {"model": recipe.family}, "params": {}}
    return _bundle(pipeline, {recipe.family: model}, targets, images, {"model_dir": source.config})


def compile_pipeline(source: PipelineSource, targets: list[str], images: list[Path], log: Log):
    """A PaddleX pipeline config: one bundle with every model of the pipeline."""
    targets = _check_targets(targets)
    recipe = pipeline_recipe_for(source.name)
    models = {recipe.modules[k]: compile_model(recipe.modules[k], s, images, log)
              for k, s in source.models.items()}
    params = recipe.params(source.config, {role: m.entry["spec"] for role, m in models.items()})
    pipeline = {"name": source.name, "models": {role: role for role in models}, "params": params}
    return _bundle(pipeline, models, targets, images, source.config)


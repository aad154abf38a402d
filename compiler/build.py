"""The compile driver: model source → verified artifacts → manifest entry; sources → one bundle.

For each model, conversion candidates (converter version × opset × simplifier) are tried in order; the
first whose ONNX and OpenVINO IR both load in the runtime's own backends and reproduce the reference
on every case within the recipe's tolerance is kept. The rest is recorded in the error if none passes.
"""

from __future__ import annotations

import io
import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from hpi.compiler import convert, gpu, loops
from hpi.compiler.cases import StoredCase
from hpi.compiler.cache import CompileCache, CompiledModel, cache_key
from hpi.compiler.report import CompileReport
from hpi.compiler.source import ModelSource, PipelineSource, sha256_file
from hpi.runtime_min.compare import verify_session
from hpi.recipes import model_recipe_for, pipeline_recipe_for
from hpi.runtime_min import backends
from hpi.core.errors import CompileError, UsageError, VerificationError
from hpi.core.manifest import Artifact
from hpi.runtime_min.targets import TARGETS, target as known_target
from hpi.runtime_min.versions import library_versions

SIMPLIFIERS = ("onnxslim", "none")
CORNERS = ("min", "opt", "max")
CPU_BACKEND_CONFIG = {
    # OpenVINO picks bf16 by itself on CPUs with AVX-512 BF16/AMX; fp32 is what was verified.
    "openvino": {"INFERENCE_PRECISION_HINT": "f32"},
    "onnxruntime": {},
}


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def _write_reference_outputs(source: ModelSource, cases: list[StoredCase], mkldnn: bool = True) -> None:
    if source.is_paddle:
        from hpi.compiler.reference import run_reference

        run_reference(source, cases, mkldnn=mkldnn)
        return
    # An ONNX source has no Paddle model: the source itself on ONNX Runtime is the reference.
    session = backends.get("onnxruntime").load({"model": source.files["inference.onnx"].read_bytes()}, {}, None)
    for case in cases:
        case.save_expected(session.run(case.feeds))


def _cases(source: ModelSource, recipe, profile, spec, images: list[Path], work: Path) -> list[StoredCase]:
    """The profile's min/opt/max corners and the calibration images with the reference's outputs, stored
    under `work` as they are made (one case in memory at a time)."""
    from hpi.runtime_min.ops.image_io import read_image

    rng = np.random.default_rng(0)
    data = recipe.profile_input_data(source.config)
    cases: list[StoredCase] = []

    def store(name: str, feeds: dict) -> None:
        cases.append(StoredCase.save(work / f"case{len(cases)}", name, feeds))

    for i, corner in enumerate(CORNERS):
        store(corner, {name: _corner_input(name, shapes[i], data.get(name, (None,) * 3)[i], rng)
                       for name, shapes in profile.items()})
    for path in images:
        try:
            feeds = recipe.sample_inputs(read_image(str(path)), spec)
        except ValueError as exc:
            raise UsageError(f"calibration image {path}: {exc}") from None
        store(f"image:{path.name}", feeds)
    _write_reference_outputs(source, cases, recipe.reference_mkldnn)
    return cases


def _corner_input(name: str, shape: list[int], values: list[float] | None, rng) -> np.ndarray:
    """Random pixels, or the profile's given values (a detector's im_shape / scale_factor) in that shape."""
    if values is None:
        return rng.standard_normal(shape).astype(np.float32)
    if len(values) != int(np.prod(shape)):
        raise CompileError(f"profile input data for {name!r} has {len(values)} values; its shape {shape} "
                           f"needs {int(np.prod(shape))}")
    return np.asarray(values, dtype=np.float32).reshape(shape)


def _cpu_artifacts(key: str, candidate: "_Candidate", cpu_backends) -> tuple[list[dict], dict[str, bytes]]:
    """The cpu target's artifacts for the chosen backends (none when cpu is not a target)."""
    base = f"models/{key}"
    artifacts, members = [], {}
    if "onnxruntime" in cpu_backends:
        members[f"{base}/model.onnx"] = candidate.onnx
        artifacts.append(Artifact("onnx", "cpu", {"model": f"{base}/model.onnx"},
                                  config=CPU_BACKEND_CONFIG["onnxruntime"]).to_dict())
    if "openvino" in cpu_backends:
        members.update({f"{base}/openvino/model.xml": candidate.xml, f"{base}/openvino/model.bin": candidate.weights})
        artifacts.append(Artifact("openvino_ir", "cpu", {"xml": f"{base}/openvino/model.xml",
                                                         "weights": f"{base}/openvino/model.bin"},
                                  config=CPU_BACKEND_CONFIG["openvino"]).to_dict())
    return artifacts, members


def _verify_candidate(files_by_backend: dict, cases, output_names, tol, order=None) -> dict[str, list]:
    results = {}
    for name, files in files_by_backend.items():
        session = backends.get(name).load(files, CPU_BACKEND_CONFIG[name], None)
        results[name] = verify_session(session, cases, output_names, tol, order)
        # One backend's buffers at a time: ONNX Runtime's arena keeps what the largest case needed.
        del session
    return results


def _io_signature(onnx_bytes: bytes) -> tuple[list[dict], list[str]]:
    import onnx

    graph = onnx.load_model_from_string(onnx_bytes).graph
    inputs = [{"name": i.name, "dtype": onnx.helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type).name,
               "shape": [d.dim_value if d.HasField("dim_value") else -1 for d in i.type.tensor_type.shape.dim]}
              for i in graph.input]
    return inputs, [o.name for o in graph.output]


@dataclass(frozen=True)
class CompileOptions:
    """Everything that shapes a bundle besides its sources; recorded in the manifest as resolved."""

    targets: tuple[str, ...] = ("cpu",)
    calibration_images: tuple[Path, ...] = ()
    # paddle2onnx versions in order of preference; empty = every installed one, installed first
    converters: tuple[str, ...] = ()
    # the licensed product whose certificate the runtime must find; with `encrypt`, the model
    # artifacts are sealed with that product's content key (from the issuer database `license_db`)
    license_product: str | None = None
    encrypt: bool = False
    license_db: str | None = None
    # GPU targets: TensorRT engines prebuilt here, built on the deployment GPU at first run, or none
    tensorrt: str = "prebuilt"
    tensorrt_version_compatible: bool = False
    # the cpu target's backends whose artifacts the bundle ships; empty = every one the target supports
    cpu_backends: tuple[str, ...] = ()
    # the profile corner stored for `hpi verify --self-test` (min: the smallest tensors, a light bundle)
    golden_case: str = "min"
    # public keys of the issuers whose certificates a license-bound bundle accepts (default: this
    # vendor's issuer key, beside $HPI_ISSUER_KEY)
    license_issuers: tuple[Path, ...] = ()

    def resolved(self) -> "CompileOptions":
        for name in self.targets:
            known_target(name)
        supported = TARGETS["cpu"].backends
        unknown = [b for b in self.cpu_backends if b not in supported]
        if unknown:
            raise UsageError(f"unknown --cpu-backend {unknown[0]!r}; expected one of {', '.join(supported)}")
        if self.cpu_backends and "cpu" not in self.targets:
            raise UsageError(f"--cpu-backend chooses the cpu target's artifacts, but the targets are "
                             f"{', '.join(self.targets)}; add --target cpu or drop --cpu-backend")
        if self.golden_case not in CORNERS:
            raise UsageError(f"unknown --golden-case {self.golden_case!r}; expected one of {', '.join(CORNERS)}")
        gpu.check_tensorrt_mode(self.targets, self.tensorrt)
        installed = [c.version for c in convert.converters()]
        missing = [v for v in self.converters if v not in installed]
        if missing:
            raise UsageError(f"paddle2onnx {', '.join(missing)} is not installed; installed: {', '.join(installed)}")
        if self.encrypt and not self.license_product:
            raise UsageError("--encrypt needs --license-product: the product whose content key seals the bundle")
        issuers = self.license_issuers
        if self.license_product and not issuers:
            from hpi.licensing.issuer import default_issuer_key_path

            beside = default_issuer_key_path().with_suffix(".pub")
            if not beside.is_file():
                raise UsageError(f"--license-product needs the issuer whose certificates count: no {beside}; pass "
                                 "--license-issuer issuer.pub (the key `hpi-license issuer-keygen` made)")
            issuers = (beside,)
        cpu_backends = (self.cpu_backends or supported) if "cpu" in self.targets else ()
        return replace(self, targets=tuple(sorted(set(self.targets))), license_issuers=tuple(issuers),
                       converters=tuple(self.converters) or tuple(installed),
                       cpu_backends=tuple(sorted(set(cpu_backends))))

    @property
    def verified_backends(self) -> tuple[str, ...]:
        """Backends every candidate is verified on here: those whose artifacts ship. A GPU target runs the
        ONNX itself (ONNX Runtime CUDA, TensorRT builds from it), so it is verified on ONNX Runtime CPU too."""
        gpu = any(TARGETS[t].is_gpu for t in self.targets)
        return tuple(sorted(set(self.cpu_backends) | ({"onnxruntime"} if gpu else set())))

    def to_dict(self) -> dict:
        """What shapes the compiled models (the cache key); licensing only wraps the bundle."""
        return {"targets": list(self.targets), "converters": list(self.converters), "tensorrt": self.tensorrt,
                "tensorrt_version_compatible": self.tensorrt_version_compatible,
                "cpu_backends": list(self.cpu_backends), "golden_case": self.golden_case,
                "calibration_images": {p.name: sha256_file(p) for p in self.calibration_images}}


# paddle2onnx opsets to try for every model, in order.
OPSETS = (14, 11, 17)
# CPU backends in order of preference, written into each model entry; verified artifacts are built for each.
CPU_BACKEND_PREFERENCE = {"cpu": ["openvino", "onnxruntime"]}


def _candidates(source: ModelSource, recipe, options: CompileOptions):
    """(converter, opset) pairs to try, in order; (None, None) once for an ONNX source."""
    if not source.is_paddle:
        yield None, None
        return
    by_version = {c.version: c for c in convert.converters()}
    usable = [by_version[v] for v in options.converters if by_version[v].accepts(source.format)]
    if not usable:
        raise CompileError(f"{source.model_dir}: none of paddle2onnx {', '.join(options.converters)} reads "
                           f"{source.format} models (PIR inference.json needs paddle2onnx>=2; run scripts/setup.sh)")
    for converter in usable:
        for opset in OPSETS:
            yield converter, opset


def _raw_onnx(source: ModelSource, converter, opset, out: Path) -> Path:
    if converter is None:
        out.write_bytes(source.files["inference.onnx"].read_bytes())
        return out
    model_file = source.files.get("inference.pdmodel") or source.files["inference.json"]
    convert.onnx_from_paddle(model_file, source.files["inference.pdiparams"], out, converter, opset)
    loops.loadable_loops(out)  # paddle2onnx 2.1.0's PIR while loops load in no runtime as written
    convert.check_operators(out)
    return out


@dataclass
class _Candidate:
    label: str
    onnx: bytes
    xml: bytes | None  # OpenVINO IR, made only when OpenVINO's artifacts ship
    weights: bytes | None
    inputs: list[dict]
    outputs: list[str]
    results: dict[str, list]  # backend → OutputDiffs

    def first_failure(self) -> str | None:
        bad = [(b, d) for b, diffs in self.results.items() for d in diffs if not d.passed]
        return f"{self.label}: {bad[0][0]} {bad[0][1].describe()}" if bad else None


def _build_candidate(label: str, raw: Path, simplifier: str, work: Path, cases, tol, order=None,
                     verify=("onnxruntime", "openvino")) -> _Candidate:
    work.mkdir(parents=True)
    onnx_path = convert.simplify(raw, work / "model.onnx", simplifier)
    onnx_bytes = onnx_path.read_bytes()
    inputs, outputs = _io_signature(onnx_bytes)
    results, xml_bytes, weights = {}, None, None
    with ThreadPoolExecutor(1) as pool:
        # OpenVINO's conversion is a child process of about one core: it runs while ONNX Runtime verifies here.
        ir = pool.submit(convert.ir_from_onnx, onnx_path, work / "openvino" / "model.xml") if "openvino" in verify \
            else None
        if "onnxruntime" in verify:
            results |= _verify_candidate({"onnxruntime": {"model": onnx_bytes}}, cases, outputs, tol, order)
        if ir is not None:
            xml = ir.result()
            xml_bytes, weights = xml.read_bytes(), xml.with_suffix(".bin").read_bytes()
            results |= _verify_candidate({"openvino": {"xml": xml_bytes, "weights": weights}}, cases, outputs, tol,
                                         order)
    return _Candidate(label, onnx_bytes, xml_bytes, weights, inputs, outputs, results)


def compile_model(key: str, source: ModelSource, options: CompileOptions, report: CompileReport) -> CompiledModel:
    """The first candidate whose artifacts reproduce the reference on every case, else VerificationError."""
    recipe = model_recipe_for(source.model_name)
    spec = recipe.spec_for(source)
    profile = recipe.profile(source.config)
    if not source.is_paddle:
        convert.check_operators(source.files["inference.onnx"])
    failures = []
    candidates = list(_candidates(source, recipe, options))
    with tempfile.TemporaryDirectory(prefix="hpi-compile-") as tmp, ThreadPoolExecutor(1) as pool:
        # The first candidate's conversion (a child process) runs while the reference (another) does: they share
        # nothing, and each keeps about one core busy.
        first = pool.submit(_raw_onnx, source, *candidates[0], Path(tmp) / "raw0.onnx")
        with report.stage(key, "reference", f"{key}: running the reference on "
                                            f"{3 + len(options.calibration_images)} cases"):
            cases = _cases(source, recipe, profile, spec, list(options.calibration_images), Path(tmp) / "cases")
        for attempt, (converter, opset) in enumerate(candidates):
            origin = "source onnx" if converter is None else f"paddle2onnx {converter.version} opset {opset}"
            try:
                with report.stage(key, f"onnx ({origin})", f"{key}: {origin}"):
                    raw = first.result() if attempt == 0 else _raw_onnx(source, converter, opset,
                                                                          Path(tmp) / f"raw{attempt}.onnx")
            except CompileError as exc:
                failures.append(str(exc))
                report.warn(f"{key}: rejected {failures[-1]}")
                continue
            for simplifier in SIMPLIFIERS:
                label = f"{origin} + {simplifier}"
                work = Path(tmp) / f"{attempt}-{simplifier}"
                try:
                    with report.stage(key, f"simplify, OpenVINO IR, verify ({label})",
                                      f"{key}: {label}: OpenVINO IR, verify"):
                        candidate = _build_candidate(label, raw, simplifier, work, cases, recipe.tolerance,
                                                     spec.output_order, options.verified_backends)
                except Exception as exc:  # an output that does not even load is one more rejected candidate
                    failures.append(f"{label}: {type(exc).__name__}: {_first_line(exc)}")
                    report.warn(f"{key}: rejected {failures[-1]}")
                    continue
                failure = candidate.first_failure()
                if failure:
                    failures.append(f"{failure} > atol {recipe.tolerance.atol}")
                    report.warn(f"{key}: rejected {failures[-1]}")
                    continue
                conversion = {"converter": converter.to_dict() if converter else None, "opset": opset,
                              "simplifier": simplifier}
                model = _compiled(key, source, recipe, spec, profile, cases, candidate, conversion, failures,
                                  options, report)
                report.log(f"{key}: verified ({label}); max abs diff " + ", ".join(
                    f"{b} {v['max_abs']:.2g}" for b, v in model.entry["verification"]["backends"].items()))
                return model
    raise VerificationError(f"{key} ({source.model_name}): no conversion reproduced the reference: "
                            + " | ".join(failures))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else ""


def _compiled(key, source, recipe, spec, profile, cases, candidate: _Candidate, conversion, failures,
              options: CompileOptions, report: CompileReport) -> CompiledModel:
    artifacts, members = _cpu_artifacts(key, candidate, options.cpu_backends)
    golden = next(c for c in cases if c.name == options.golden_case)
    golden_feeds, golden_expected = golden.feeds, golden.expected
    for name, array in golden_feeds.items():
        members[f"golden/{key}/input_{name}.npy"] = _npy(array)
    for i, array in enumerate(golden_expected):
        members[f"golden/{key}/output_{i}.npy"] = _npy(array)
    names = {"onnx": f"models/{key}/model.onnx", **{f"input:{n}": f"golden/{key}/input_{n}.npy" for n in golden_feeds},
             **{f"output:{i}": f"golden/{key}/output_{i}.npy" for i in range(len(golden_expected))}}
    gpu_targets = [t for t in options.targets if TARGETS[t].is_gpu]
    if gpu_targets:  # their artifacts run the ONNX, whichever CPU backends ship
        members[names["onnx"]] = candidate.onnx
    for target in gpu_targets:
        more, new_members = gpu.gpu_artifacts(key, target, candidate, names, profile, recipe, cases, options,
                                              report, spec.output_order)
        artifacts += more
        members.update(new_members)
    entry = {
        "model_name": source.model_name,
        "family": recipe.family,
        "source": {"format": source.format, "files": source.hashes()},
        "inputs": candidate.inputs,
        "outputs": candidate.outputs,
        "shape_profile": {n: dict(zip(("min", "opt", "max"), s)) for n, s in profile.items()},
        "spec": spec.to_dict(),
        "conversion": conversion,
        "artifacts": artifacts,
        "verification": {
            "reference": "paddle_inference" if source.is_paddle else "source_onnx_onnxruntime",
            "tolerance": recipe.tolerance.to_dict(),
            "cases": [c.name for c in cases],
            "backends": {b: {"passed": True, "max_abs": max(d.max_abs for d in diffs),
                             "diffs": [d.to_dict() for d in diffs]} for b, diffs in candidate.results.items()},
            "rejected_candidates": failures,
        },
        "golden": {"case": golden.name, "inputs": {n: f"golden/{key}/input_{n}.npy" for n in golden_feeds},
                   "outputs": [f"golden/{key}/output_{i}.npy" for i in range(len(golden_expected))],
                   "tolerance": recipe.tolerance.to_dict()},
        "backend_preference": CPU_BACKEND_PREFERENCE,
    }
    return CompiledModel(entry, members)


def _hpi_version() -> str:
    from importlib.metadata import version

    return version("hpi-aot")


def _bundle(pipeline: dict, models: dict[str, CompiledModel], options: CompileOptions,
            source_config: dict | None) -> tuple[dict, dict[str, bytes]]:
    members: dict[str, bytes] = {}
    for model in models.values():
        members.update(model.members)
    first = next(iter(models.values())).entry
    manifest = {
        "created_by": {"hpi": _hpi_version(), "tools": convert.tool_versions(),
                       "verified_with": library_versions()},
        "pipeline": pipeline,
        "models": {key: m.entry for key, m in models.items()},
        "targets": list(options.targets),
        "backend_preference": {t: _preference(t, first) for t in options.targets},
        # Through JSON: a YAML map with integer keys (PP-StructureV3's per-class thresholds) must be stored as
        # the string-keyed map a reader gets back, or the manifest is not in canonical form.
        "compile_options": {**options.to_dict(), "source_config": json.loads(json.dumps(source_config))},
    }
    if options.license_product:
        manifest["license"], members = _licensed(options, members)
    return manifest, members


def _preference(target: str, entry: dict) -> list[str]:
    """The recipe's backend order for the target, else the target's, keeping backends with artifacts."""
    formats = {a["format"] for a in entry["artifacts"] if a["target"] == target}
    order = entry["backend_preference"].get(target) or TARGETS[target].backends
    return [b for b in order if backends.get(b).artifact_format in formats]


def _licensed(options: CompileOptions, members: dict[str, bytes]) -> tuple[dict, dict[str, bytes]]:
    """The manifest's license section, and the members (models, golden tensors) sealed if asked."""
    from hpi.licensing.bundle_keys import issuer_ids, seal

    return seal(members, product=options.license_product, issuers=issuer_ids(options.license_issuers),
                encrypt=options.encrypt, db_url=options.license_db)


def _compile_cached(key: str, source: ModelSource, options: CompileOptions, report: CompileReport,
                    cache: CompileCache | None) -> CompiledModel:
    if cache is None:
        return compile_model(key, source, options, report)
    recipe = model_recipe_for(source.model_name)
    digest = cache_key(key, source, recipe, options, convert.tool_versions(), _hpi_version())
    model = cache.get(digest)
    report.cache[key] = "hit" if model else "miss"
    if model:
        report.log(f"{key}: unchanged, reusing the compiled model from the cache ({digest[:12]})")
        return model
    model = compile_model(key, source, options, report)
    cache.put(digest, model)
    return model


def compile_model_dir(source: ModelSource, options: CompileOptions, report: CompileReport,
                      cache: CompileCache | None = None):
    """A single model: its bundle runs the model family's own pipeline."""
    options = options.resolved()
    recipe = model_recipe_for(source.model_name)
    model = _compile_cached(recipe.family, source, options, report, cache)
    pipeline = {"name": recipe.family, "models": {"model": recipe.family}, "params": {}}
    return _bundle(pipeline, {recipe.family: model}, options, None)


def compile_pipeline(source: PipelineSource, options: CompileOptions, report: CompileReport,
                     cache: CompileCache | None = None):
    """A PaddleX pipeline config: one bundle with every model of the pipeline."""
    options = options.resolved()
    recipe = pipeline_recipe_for(source.name)
    models = {recipe.modules[k]: _compile_cached(recipe.modules[k], s, options, report, cache)
              for k, s in source.models.items()}
    params = recipe.params(source.config, {role: m.entry["spec"] for role, m in models.items()})
    pipeline = {"name": source.name, "models": {role: role for role in models}, "params": params}
    return _bundle(pipeline, models, options, source.config)

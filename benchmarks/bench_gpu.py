"""GPU benchmark of an OCR bundle compiled with a gpu_* target: every GPU backend side by side in one run
(each in its own process, so load time, first pass and GPU memory are its own), then the same bundle's
cpu target on this machine, whose texts are the reference.

    python benchmarks/bench_gpu.py build/ocr-gpu.hpi --images ../shared/testdata/ocr --out gpu.json

Per backend: load, first request, det and rec latency at a fixed shape, rec with alternating widths, the
first pass over the images (max per image), end to end per image over `--rounds` passes after it
(median and mean), `--concurrency` threads sharing one pipeline (wall time per image), GPU memory
(nvidia-smi, this process; torch's peak reserved where torch runs), texts vs the cpu target. Model
latencies include the host↔device copies, as the pipeline pays them.
Set $HPI_ORT_CUDA_OPTIONS to compare CUDA provider settings (e.g. cuDNN algorithm search).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

STARTED = time.perf_counter()

DET_SHAPE = (1, 3, 736, 960)
REC_SHAPE = (6, 3, 48, 320)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _time_model(model, shape, runs: int) -> float:
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    for _ in range(3):
        model(x)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - t)
    return _ms(statistics.median(times))


def _time_alternating(model, shapes, runs: int) -> float:
    """Median per call when consecutive calls change shape, as they do inside the OCR pipeline."""
    xs = [np.random.default_rng(i).standard_normal(s).astype(np.float32) for i, s in enumerate(shapes)]
    for x in xs:
        model(x)
    times = []
    for i in range(runs):
        t = time.perf_counter()
        model(xs[i % len(xs)])
        times.append(time.perf_counter() - t)
    return _ms(statistics.median(times))


class _CallTimer:
    """Wraps a loaded model's session.run to add up the time spent in it."""

    def __init__(self, model):
        self.seconds, self.calls, self.max = 0.0, 0, 0.0
        for method in ("run", "run_normalized", "run_best_class"):  # torch_cuda's on-GPU pre/post variants
            if hasattr(model.session, method):
                setattr(model.session, method, self._timed(getattr(model.session, method)))

    def _timed(self, run):
        def timed(*args):
            t = time.perf_counter()
            try:
                return run(*args)
            finally:
                took = time.perf_counter() - t
                self.seconds += took
                self.max = max(self.max, took)
                self.calls += 1

        return timed

    def report(self) -> dict:
        return {"calls": self.calls, "ms_per_call": _ms(self.seconds / max(self.calls, 1)), "max_ms": _ms(self.max)}


def _e2e(pipeline, images: list[str], rounds: int) -> tuple[dict[str, list[str]], list[float]]:
    times, texts = [], {}
    for _ in range(rounds):
        for path in images:
            t = time.perf_counter()
            result = pipeline.predict_one(path)
            times.append(time.perf_counter() - t)
            texts[Path(path).name] = list(result.to_dict()["rec_texts"])
    return texts, times


def _concurrent(pipeline, images: list[str], rounds: int, threads: int) -> dict:
    """`threads` workers sharing one pipeline over `rounds` passes: wall time per image and per request."""
    work: queue.Queue = queue.Queue()
    for _ in range(rounds):
        for path in images:
            work.put(path)
    latencies, errors, texts = [], [], {}

    def worker():
        while True:
            try:
                path = work.get_nowait()
            except queue.Empty:
                return
            t = time.perf_counter()
            try:
                texts[Path(path).name] = list(pipeline.predict_one(path).to_dict()["rec_texts"])
            except Exception as exc:  # noqa: BLE001 - reported, not raised, so the figures still come back
                errors.append(f"{path}: {type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - start
    return {"threads": threads, "images": len(latencies), "wall_ms_per_image": _ms(wall / max(len(latencies), 1)),
            "request_latency_median_ms": _ms(statistics.median(latencies)) if latencies else None,
            "errors": errors[:3], "_texts": texts}


def _gpu_memory_mb() -> float | None:
    """This process's GPU memory as nvidia-smi reports it (MiB), None when it cannot say."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        pid, _, used = line.partition(",")
        if pid.strip() == str(os.getpid()):
            return float(used)
    return None


def measure_backend(bundle: str, images: list[str], backend: str, args) -> dict:
    """One backend on the GPU target, in this process."""
    from hpi.runtime_min import open_bundle

    t = time.perf_counter()
    gpu = open_bundle(bundle, device=args.device, backend=backend)
    loaded = time.perf_counter()
    gpu.predict_one(images[0])
    first = time.perf_counter()
    report = {
        "backend": backend, "describe": gpu.describe(), "notes": gpu.notes,
        "ort_cuda_options": os.environ.get("HPI_ORT_CUDA_OPTIONS", "bundle defaults"),
        "load_s": round(loaded - t, 3), "first_request_ms": _ms(first - loaded),
        "process_start_to_first_result_s": round(first - STARTED, 3),
    }
    timers = {role: _CallTimer(gpu.models[role]) for role in ("text_det", "text_rec")}
    first_pass = time.perf_counter()
    _, pass_times = _e2e(gpu, images, 1)
    report["first_pass_over_images_s"] = round(time.perf_counter() - first_pass, 3)
    report["first_pass_max_image_ms"] = _ms(max(pass_times))
    report["first_pass_model_calls"] = {role: t.report() for role, t in timers.items()}
    timers = {role: _CallTimer(gpu.models[role]) for role in ("text_det", "text_rec")}
    texts, times, model_ms = {}, [], []
    for _ in range(args.rounds):
        before = sum(t.seconds for t in timers.values())
        texts, pass_times = _e2e(gpu, images, 1)
        times += pass_times
        model_ms.append(_ms((sum(t.seconds for t in timers.values()) - before) / len(images)))
    report["model_ms_per_image_per_pass"] = model_ms
    report["e2e_median_ms"] = _ms(statistics.median(times))
    report["e2e_mean_ms"] = _ms(statistics.mean(times))
    report["e2e_max_ms"] = _ms(max(times))
    per_pass = [times[i * len(images):(i + 1) * len(images)] for i in range(args.rounds)]
    report["e2e_median_ms_per_pass"] = [_ms(statistics.median(p)) for p in per_pass]
    report["e2e_mean_ms_per_pass"] = [_ms(statistics.mean(p)) for p in per_pass]
    report["model_calls_during_e2e"] = {role: t.report() for role, t in timers.items()}
    if args.concurrency > 1:
        conc = _concurrent(gpu, images, args.rounds, args.concurrency)
        conc_texts = conc.pop("_texts")
        conc["texts_same_as_serial"] = sum(conc_texts.get(n) == texts[n] for n in texts)
        report["concurrent"] = conc
    report["det_ms"] = _time_model(gpu.models["text_det"], DET_SHAPE, args.runs)
    report["rec_ms"] = _time_model(gpu.models["text_rec"], REC_SHAPE, args.runs)
    report["rec_alternating_widths_ms"] = _time_alternating(
        gpu.models["text_rec"], [(6, 3, 48, 320), (6, 3, 48, 480), (4, 3, 48, 640)], 30)
    report["gpu_memory_mib_nvidia_smi"] = _gpu_memory_mb()
    graphs = {role: getattr(m.session, "graphs", None) for role, m in gpu.models.items()}
    if any(g is not None for g in graphs.values()):
        import torch

        report["torch_max_memory_reserved_mib"] = round(torch.cuda.max_memory_reserved() / 2**20, 1)
        report["graphs"] = {role: {"held": len(g), **g.stats, "uncapturable": {str(k): v for k, v in list(g.uncapturable.items())[:2]},
                                   "last_capture_error": g.last_capture_error}
                            for role, g in graphs.items() if g is not None}
    report["_texts"] = texts
    gpu.close()
    return report


def measure_cpu(bundle: str, images: list[str], threads: int) -> dict:
    from hpi.runtime_min import open_bundle

    cpu = open_bundle(bundle, device="cpu", backend="onnxruntime", num_threads=threads)
    _e2e(cpu, images[:2], 1)
    texts, times = _e2e(cpu, images, 1)
    return {"backend": "onnxruntime (cpu target)", "threads": threads, "e2e_median_ms": _ms(statistics.median(times)),
            "e2e_mean_ms": _ms(statistics.mean(times)), "_texts": texts}


def _child(args, what: str) -> dict:
    """Run one measurement in a fresh process; its JSON comes back on the last stdout line. `what` is a
    backend name, optionally with environment settings for that process: "torch_cuda:HPI_TORCH_CAPTURE_ON=1"."""
    name, *settings = what.split(":")
    env = {**os.environ, **dict(s.split("=", 1) for s in settings)}
    cmd = [sys.executable, __file__, args.bundle, "--images", args.images, "--rounds", str(args.rounds),
           "--runs", str(args.runs), "--concurrency", str(args.concurrency), "--cpu-threads", str(args.cpu_threads),
           "--device", args.device, "--child", name]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.child_timeout, env=env)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"backend": what, "error": (proc.stderr.strip().splitlines() or ["no output"])[-1][:500]}
    return json.loads(lines[-1])


def _gpu_backends(bundle: str) -> list[str]:
    from hpi.core.bundle_format import Bundle
    from hpi.runtime_min.targets import TARGETS

    contents = Bundle.open(bundle, check_signature=False).contents
    gpu = [t for t in contents.targets if t in TARGETS and TARGETS[t].is_gpu]
    if not gpu:
        raise SystemExit(f"{bundle} has no GPU target")
    return list(contents.backend_preference.get(gpu[0]) or TARGETS[gpu[0]].backends)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bundle")
    p.add_argument("--images", required=True, help="folder of images")
    p.add_argument("--out", help="write the figures as JSON here")
    p.add_argument("--backends", help="comma list (default: every backend of the bundle's GPU target); NAME:VAR=VALUE "
                   "runs NAME with that environment setting (e.g. torch_cuda:HPI_TORCH_CAPTURE_ON=1)")
    p.add_argument("--rounds", type=int, default=3, help="passes over the images after the first (default 3)")
    p.add_argument("--runs", type=int, default=100, help="timed runs per model (default 100)")
    p.add_argument("--concurrency", type=int, default=4, help="threads sharing one pipeline (default 4; 1: skip)")
    p.add_argument("--cpu-threads", type=int, default=os.cpu_count(), help="threads for the cpu comparison")
    p.add_argument("--no-cpu", action="store_true", help="skip the cpu-target comparison")
    p.add_argument("--device", default="gpu", help="device to measure (default gpu; cpu for a dry run)")
    p.add_argument("--child-timeout", type=int, default=900)
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    from hpi.runtime_min.api import IMAGE_SUFFIXES

    images = sorted(str(f) for f in Path(args.images).iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    if args.child:
        result = (measure_cpu(args.bundle, images, args.cpu_threads) if args.child == "cpu"
                  else measure_backend(args.bundle, images, args.child, args))
        print(json.dumps(result, ensure_ascii=False))
        return 0
    names = args.backends.split(",") if args.backends else _gpu_backends(args.bundle)
    report = {"device": _gpu_name(), "bundle": args.bundle, "images": len(images), "rounds": args.rounds,
              "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]), "backends": {}}
    for name in names:
        report["backends"][name] = _child(args, name)
        print(f"{name}: " + json.dumps({k: v for k, v in report["backends"][name].items()
                                        if k not in ("_texts", "notes", "describe")}), file=sys.stderr)
    if not args.no_cpu:
        cpu = report["cpu"] = _child(args, "cpu")
        for name, r in report["backends"].items():
            if "_texts" in r and "_texts" in cpu:
                same = [n for n in r["_texts"] if r["_texts"][n] == cpu["_texts"].get(n)]
                r["texts_identical_to_cpu"] = f"{len(same)}/{len(r['_texts'])}"
                r["texts_differing"] = {n: {"gpu": r["_texts"][n], "cpu": cpu["_texts"].get(n)}
                                        for n in r["_texts"] if n not in same}
    for r in [*report["backends"].values(), report.get("cpu", {})]:
        r.pop("_texts", None)
    report["summary"] = {name: {k: r.get(k) for k in ("e2e_median_ms", "e2e_mean_ms", "first_pass_over_images_s",
                                                       "first_pass_max_image_ms", "load_s", "det_ms", "rec_ms",
                                                       "gpu_memory_mib_nvidia_smi", "texts_identical_to_cpu", "error")}
                         | {"concurrent_ms_per_image": (r.get("concurrent") or {}).get("wall_ms_per_image")}
                         for name, r in report["backends"].items()}
    if "cpu" in report:
        report["summary"]["cpu"] = {k: report["cpu"].get(k) for k in ("e2e_median_ms", "e2e_mean_ms", "threads", "error")}
    text = json.dumps(report, ensure_ascii=False, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


def _gpu_name() -> str:
    try:
        return subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())

"""GPU benchmark of an OCR bundle compiled with a gpu_* target: load, first request, det and rec
latency, end-to-end per image, and texts compared with the same bundle's cpu target on this machine.

    python benchmarks/bench_gpu.py build/ocr-gpu.hpi --images ../shared/testdata/ocr --out gpu.json

Runs in one process on the GPU machine (it needs only the runtime, onnxruntime-gpu and the bundle).
Every figure is a median; model latencies include the host↔device copies, as the pipeline pays them.
Set $HPI_ORT_CUDA_OPTIONS to compare CUDA provider settings (e.g. cuDNN algorithm search).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
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
        self.seconds, self.calls, run = 0.0, 0, model.session.run

        def timed(feeds):
            t = time.perf_counter()
            try:
                return run(feeds)
            finally:
                self.seconds += time.perf_counter() - t
                self.calls += 1

        model.session.run = timed


def _e2e(pipeline, images: list[str], rounds: int) -> tuple[float, dict[str, list[str]], list[float]]:
    times, texts = [], {}
    for _ in range(rounds):
        for path in images:
            t = time.perf_counter()
            result = pipeline.predict_one(path)
            times.append(time.perf_counter() - t)
            texts[Path(path).name] = list(result.to_dict()["rec_texts"])
    return _ms(statistics.median(times)), texts, times


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bundle")
    p.add_argument("--images", required=True, help="folder of images")
    p.add_argument("--out", help="write the figures as JSON here")
    p.add_argument("--rounds", type=int, default=3, help="passes over the images (default 3)")
    p.add_argument("--runs", type=int, default=100, help="timed runs per model (default 100)")
    p.add_argument("--cpu-threads", type=int, default=os.cpu_count(), help="threads for the cpu comparison")
    p.add_argument("--no-cpu", action="store_true", help="skip the cpu-target comparison")
    p.add_argument("--device", default="gpu", help="device to measure (default gpu; cpu for a dry run)")
    args = p.parse_args(argv)

    from hpi.runtime_min import open_bundle
    from hpi.runtime_min.api import IMAGE_SUFFIXES

    images = sorted(str(f) for f in Path(args.images).iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    t = time.perf_counter()
    gpu = open_bundle(args.bundle, device=args.device)
    loaded = time.perf_counter()
    gpu.predict_one(images[0])
    first = time.perf_counter()
    report = {
        "device": _gpu_name(), "bundle": args.bundle, "describe": gpu.describe(), "notes": gpu.notes,
        "ort_cuda_options": os.environ.get("HPI_ORT_CUDA_OPTIONS", "bundle defaults"),
        "load_s": round(loaded - t, 3), "first_request_ms": _ms(first - loaded),
        "process_start_to_first_result_s": round(first - STARTED, 3),
        "det_ms": _time_model(gpu.models["text_det"], DET_SHAPE, args.runs),
        "rec_ms": _time_model(gpu.models["text_rec"], REC_SHAPE, args.runs),
    }
    report["rec_alternating_widths_ms"] = _time_alternating(
        gpu.models["text_rec"], [(6, 3, 48, 320), (6, 3, 48, 480), (4, 3, 48, 640)], 30)
    timers = {role: _CallTimer(gpu.models[role]) for role in ("text_det", "text_rec")}
    first_pass = time.perf_counter()
    _, _, pass_times = _e2e(gpu, images, 1)
    report["first_pass_over_images_s"] = round(time.perf_counter() - first_pass, 3)
    report["first_pass_max_image_ms"] = _ms(max(pass_times))
    report["e2e_median_ms"], gpu_texts, _ = _e2e(gpu, images, args.rounds)
    report["model_calls_during_e2e"] = {
        role: {"calls": t.calls, "ms_per_call": _ms(t.seconds / max(t.calls, 1))} for role, t in timers.items()}
    if not args.no_cpu:
        cpu = open_bundle(args.bundle, device="cpu", backend="onnxruntime", num_threads=args.cpu_threads)
        report["cpu_onnxruntime_threads"] = args.cpu_threads
        report["cpu_e2e_median_ms"], cpu_texts, _ = _e2e(cpu, images, 1)
        same = [n for n in gpu_texts if gpu_texts[n] == cpu_texts[n]]
        report["texts_identical_to_cpu"] = f"{len(same)}/{len(gpu_texts)}"
        report["texts_differing"] = {n: {"gpu": gpu_texts[n], "cpu": cpu_texts[n]}
                                     for n in gpu_texts if n not in same}
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def _gpu_name() -> str:
    import subprocess

    try:
        return subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())

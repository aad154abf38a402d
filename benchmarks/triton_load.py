"""Load on a bundle served by a real Triton Inference Server: export it (`hpi export triton`), start
tritonserver on loopback (tests/triton_tools.py: nvidia-pytriton 0.7.0's binary, the numpy<2 stub env), then N
concurrent tritonclient HTTP clients for a fixed time per level; throughput, p50 / p99 latency, errors.

    python benchmarks/triton_load.py --bundle ocr.hpi --image img.jpg --instances 1 --concurrency 1 4 16
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import triton_tools  # noqa: E402


def level(url: str, image: bytes, concurrency: int, duration: float) -> dict:
    import tritonclient.http as triton_http

    latencies, errors = [], []

    def client(stop):
        c = triton_http.InferenceServerClient(url, network_timeout=120, connection_timeout=120)
        x = triton_http.InferInput("image", [1], "BYTES")
        x.set_data_from_numpy(np.array([image], dtype=np.object_))
        while time.monotonic() < stop:
            start = time.perf_counter()
            try:
                c.infer("model", [x])
                latencies.append(time.perf_counter() - start)
            except Exception as exc:  # counted and reported, the run goes on
                errors.append(exc)

    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(t0 + duration,)) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    p50, p99 = (np.quantile(latencies, [0.5, 0.99]) * 1000) if latencies else (float("nan"),) * 2
    return {"concurrency": concurrency, "answered": len(latencies), "req_per_s": len(latencies) / wall,
            "p50_ms": p50, "p99_ms": p99, "errors": len(errors)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", required=True)
    p.add_argument("--image", required=True)
    p.add_argument("--instances", type=int, default=1)
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    p.add_argument("--duration", type=float, default=15.0, help="seconds per concurrency level")
    args = p.parse_args()
    from hpi.runtime_min.serving.triton_export import export_triton

    env = triton_tools.stub_env()
    sys.path.append(str(triton_tools.client_dir()))
    work = Path(tempfile.mkdtemp(prefix="hpi-triton-load-"))
    try:
        export_triton(args.bundle, work / "repo", model_name="model", instances=args.instances, python_env=env)
        with triton_tools.tritonserver(work / "repo", work / "tritonserver.log", {}) as url:
            image = Path(args.image).read_bytes()
            level(url, image, 1, 2.0)  # warm-up
            for c in args.concurrency:
                r = level(url, image, c, args.duration)
                print(f"triton instances={args.instances} c={c}: {r['answered']} answered, {r['req_per_s']:.2f} req/s, "
                      f"p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, errors {r['errors']}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

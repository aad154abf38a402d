"""Load test for PaddleX-API OCR servers (`hpi serve`, `paddlex --serve`): N concurrent clients for a fixed time.

    python benchmarks/load_test.py --url http://127.0.0.1:8080 --image img.jpg --concurrency 1 4 16 --duration 20

Each client posts PaddleX's OCR request (`{"file": <Base64>, "fileType": 1}`) to `/ocr` in a loop and records
the latency of every answer. With several `--url`s the clients go round robin over them, and a request that
fails on one server (connection refused or reset, 5xx) is retried on the next, up to `--retries` times: a
request counts as lost only when every try failed. Reports per concurrency: requests answered, throughput,
p50 / p99 latency, retries, lost requests and each server's share.

Fault run: `--kill-after SECONDS --kill-pid PID` sends SIGKILL to one server (PID) that long into each run;
the figures then show whether any request was lost and that the survivor kept serving.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import signal
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class RoundRobin:
    def __init__(self, urls: list[str]):
        self._urls, self._next, self._lock = urls, itertools.cycle(range(len(urls))), threading.Lock()

    def start(self) -> int:
        with self._lock:
            return next(self._next)

    def __len__(self):
        return len(self._urls)

    def __getitem__(self, i):
        return self._urls[i % len(self._urls)]


def one_request(client, servers: RoundRobin, payload: dict, retries: int, route: str) -> dict:
    """One request, retried on the next server when a try fails; {ok, latency, tries, server, status}."""
    first, start = servers.start(), time.perf_counter()
    status = None
    for attempt in range(retries + 1):
        url = servers[first + attempt]
        try:
            response = client.post(url + route, json=payload)
            status = response.status_code
            if status == 200 and response.json().get("errorCode") == 0:
                return {"ok": True, "latency": time.perf_counter() - start, "tries": attempt + 1, "server": url,
                        "status": status}
            if status < 500:  # a client error is the request's fault: retrying would not help
                break
        except Exception as exc:  # noqa: BLE001 - connection refused / reset: try the next server
            status = type(exc).__name__
    return {"ok": False, "latency": time.perf_counter() - start, "tries": attempt + 1, "server": None,
            "status": status}


def run(urls: list[str], payload: dict, concurrency: int, duration: float, retries: int, route: str,
        kill_after: float | None = None, kill_pid: int | None = None) -> dict:
    import httpx

    servers, results, lock = RoundRobin(urls), [], threading.Lock()
    stop_at = time.monotonic() + duration

    def client_loop():
        with httpx.Client(timeout=120) as client:
            while time.monotonic() < stop_at:
                result = one_request(client, servers, payload, retries, route)
                with lock:
                    results.append(result)

    killer = None
    if kill_after is not None and kill_pid is not None:
        killer = threading.Timer(kill_after, lambda: os.kill(kill_pid, signal.SIGKILL))
        killer.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(client_loop)
    elapsed = time.perf_counter() - started
    if killer is not None:
        killer.cancel()
    ok = [r["latency"] for r in results if r["ok"]]
    share = {url: sum(1 for r in results if r["server"] == url) for url in urls}
    return {"concurrency": concurrency, "seconds": round(elapsed, 2), "answered": len(ok),
            "throughput_rps": round(len(ok) / elapsed, 2),
            "p50_ms": None if not ok else round(1000 * percentile(ok, 50), 1),
            "p99_ms": None if not ok else round(1000 * percentile(ok, 99), 1),
            "mean_ms": None if not ok else round(1000 * statistics.fmean(ok), 1),
            "retried": sum(1 for r in results if r["tries"] > 1), "lost": sum(1 for r in results if not r["ok"]),
            "lost_status": sorted({str(r["status"]) for r in results if not r["ok"]}), "per_server": share}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", action="append", required=True, help="server base URL; repeat for round robin")
    parser.add_argument("--image", required=True, help="the image every request sends")
    parser.add_argument("--route", default="/ocr", help="PaddleX's route (default /ocr)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per concurrency (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="requests before measuring (default 2)")
    parser.add_argument("--retries", type=int, default=None,
                        help="retries on another server (default: number of URLs - 1)")
    parser.add_argument("--kill-after", type=float, help="SIGKILL --kill-pid this many seconds into each run")
    parser.add_argument("--kill-pid", type=int)
    parser.add_argument("--label", default="server", help="name of the system measured, for the report")
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args(argv)

    import httpx

    payload = {"file": base64.b64encode(Path(args.image).read_bytes()).decode("ascii"), "fileType": 1,
               "visualize": False}
    retries = len(args.url) - 1 if args.retries is None else args.retries
    with httpx.Client(timeout=120) as client:
        for url in args.url:
            for _ in range(args.warmup):
                client.post(url + args.route, json=payload).raise_for_status()
    rows = [run(args.url, payload, c, args.duration, retries, args.route, args.kill_after, args.kill_pid)
            for c in args.concurrency]
    print(f"{args.label}: {len(args.url)} server(s), {args.duration:g} s per concurrency, image {args.image}")
    print("| concurrency | answered | req/s | p50 ms | p99 ms | retried | lost |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['concurrency']} | {r['answered']} | {r['throughput_rps']} | {r['p50_ms']} | {r['p99_ms']} | "
              f"{r['retried']} | {r['lost']} |")
    if args.out:
        Path(args.out).write_text(json.dumps({"label": args.label, "urls": args.url, "image": args.image,
                                              "rows": rows}, indent=2))
    return 0 if all(r["lost"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

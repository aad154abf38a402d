"""Decode time per formula: the in-graph decoding Loop of a PP-FormulaNet bundle on ONNX Runtime and OpenVINO,
and PaddleX 3.7.2's Paddle engine on the same model dir, side by side on the same images.

    .venv/bin/python benchmarks/bench_formula_loop.py MODEL_DIR BUNDLE IMAGE... [--runs 5] [--json OUT]

MODEL_DIR is a PaddleX PP-FormulaNet dir (e.g. tests/fixtures/make_formula_model.py's), BUNDLE its hpi bundle.
Per image: one warm-up call, then the median of --runs calls of the whole predict (pre-processing, the model
with its loop, decoding); the model's decoding steps are (tokens - 3) / 3 (parallel_step 3, three start
tokens), so "per step" is the call's median divided by its steps. PaddleX runs in the oracle interpreter
(.venv-oracle) with create_model(..., device="cpu") and its default threads; hpi with the backends' defaults.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ORACLE = REPO / ".venv-oracle" / "bin" / "python"
_PADDLEX = """
import json, sys, time, statistics, yaml
from pathlib import Path
from paddlex import create_model
model_dir, runs, images = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
name = yaml.safe_load(open(Path(model_dir) / "inference.yml"))["Global"]["model_name"]
model = create_model(model_name=name, model_dir=model_dir, device="cpu")
out = {}
for image in images:
    list(model.predict(image))
    times = []
    for _ in range(runs):
        start = time.perf_counter(); list(model.predict(image)); times.append(time.perf_counter() - start)
    out[image] = statistics.median(times)
print(json.dumps(out))
"""


def _hpi(bundle: Path, backend: str, images: list[str], runs: int) -> dict:
    import cv2

    from hpi.runtime_min import open_bundle

    model = open_bundle(bundle, backend=backend)
    out = {}
    for image in images:
        model.predict_one(image)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            model.predict_one(image)
            times.append(time.perf_counter() - start)
        tokens = model._runner.token_ids(cv2.imread(image)).shape[-1]
        out[image] = {"ms": 1000 * statistics.median(times), "steps": (tokens - 3) // 3}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("images", nargs="+")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results = {backend: _hpi(args.bundle, backend, args.images, args.runs) for backend in ("onnxruntime", "openvino")}
    proc = subprocess.run([str(ORACLE), "-c", _PADDLEX, args.model_dir, str(args.runs), *args.images],
                          capture_output=True, text=True, check=True)
    paddlex = json.loads(proc.stdout.strip().splitlines()[-1])
    steps = {image: results["onnxruntime"][image]["steps"] for image in args.images}
    rows = {"PaddleX (Paddle)": {i: 1000 * t for i, t in paddlex.items()},
            **{f"hpi {b}": {i: r["ms"] for i, r in res.items()} for b, res in results.items()}}
    summary = {}
    print(f"{len(args.images)} images, steps per image {sorted(steps.values())}, median of {args.runs} runs")
    for label, per_image in rows.items():
        per_formula = statistics.median(per_image.values())
        per_step = statistics.median(per_image[i] / max(steps[i], 1) for i in args.images)
        summary[label] = {"ms_per_formula": round(per_formula, 2), "ms_per_step": round(per_step, 3)}
        print(f"{label:20s} {per_formula:8.2f} ms / formula  {per_step:7.3f} ms / step")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "steps": steps, "per_image_ms": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Shared by the oracle scripts (run under .venv-oracle): predict each image, write PaddleX's JSON."""

import json
import time
from pathlib import Path


def write_results(predictor, images, out_dir, **params) -> None:
    """OUT_DIR/<stem>.json with each result's `json["res"]`, and OUT_DIR/timing.json (seconds per image).
    `params` go to every `predict` call (PaddleX's per-call parameters)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings = {}
    for image in images:
        start = time.perf_counter()
        (result,) = list(predictor.predict(image, **params))
        timings[image] = time.perf_counter() - start
        (out / f"{Path(image).stem}.json").write_text(json.dumps(result.json["res"], ensure_ascii=False))
    (out / "timing.json").write_text(json.dumps(timings))

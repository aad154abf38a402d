"""Run one PaddleX model alone (`create_model(...).predict`), the parity oracle for single-model bundles.

Runs under the oracle interpreter (paddlex==3.7.2 + paddlepaddle==3.0.0), never imported by hpi:

    .venv-oracle/bin/python tests/oracle/paddlex_model.py MODEL_DIR OUT_DIR IMAGE...

The model name is read from the dir's inference.yml (`Global.model_name`). Writes OUT_DIR/<stem>.json
with each result's PaddleX `json["res"]`, and OUT_DIR/timing.json with per-image latency.
"""

import json
import sys
import time
from pathlib import Path

import yaml


def main(model_dir, out_dir, *images):
    model_dir = Path(model_dir).resolve()
    config = yaml.safe_load((model_dir / "inference.yml").read_text(encoding="utf-8"))
    from paddlex import create_model

    model = create_model(model_name=config["Global"]["model_name"], model_dir=str(model_dir), device="cpu")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings = {}
    for image in images:
        start = time.perf_counter()
        (result,) = list(model.predict(image))
        timings[image] = time.perf_counter() - start
        (out / f"{Path(image).stem}.json").write_text(json.dumps(result.json["res"], ensure_ascii=False))
    (out / "timing.json").write_text(json.dumps(timings))


if __name__ == "__main__":
    main(*sys.argv[1:])

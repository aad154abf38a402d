"""PaddleX's table structure recognition model alone with `engine="onnxruntime"` (or `--engine=paddle`), the
parity oracle for table structure bundles (SLANet, SLANet_plus on real ONNX weights, and the Paddle fixtures).

Runs under the oracle interpreter (paddlex==3.7.2), never imported by hpi:

    .venv-oracle/bin/python tests/oracle/paddlex_table.py [--engine=paddle] MODEL_DIR OUT_DIR IMAGE...

The model name is read from the dir's inference.yml (`Global.model_name`). Writes OUT_DIR/<stem>.json with
each result's PaddleX `json["res"]`, OUT_DIR/vis/<stem>.png with its `save_to_img` picture, and
OUT_DIR/timing.json with per-image latency.
"""

import json
import sys
import time
from pathlib import Path

import yaml


def main(model_dir, out_dir, *images, engine="onnxruntime"):
    model_dir = Path(model_dir).resolve()
    config = yaml.safe_load((model_dir / "inference.yml").read_text(encoding="utf-8"))
    from paddlex import create_model

    model = create_model(model_name=config["Global"]["model_name"], model_dir=str(model_dir), device="cpu",
                         engine=engine)
    out = Path(out_dir)
    (out / "vis").mkdir(parents=True, exist_ok=True)
    timings = {}
    for image in images:
        start = time.perf_counter()
        (result,) = list(model.predict(image))
        timings[image] = time.perf_counter() - start
        (out / f"{Path(image).stem}.json").write_text(json.dumps(result.json["res"], ensure_ascii=False))
        result.save_to_img(str(out / "vis" / f"{Path(image).stem}.png"))
    (out / "timing.json").write_text(json.dumps(timings))


if __name__ == "__main__":
    args = sys.argv[1:]
    engine = args.pop(0).split("=", 1)[1] if args and args[0].startswith("--engine=") else "onnxruntime"
    main(*args, engine=engine)

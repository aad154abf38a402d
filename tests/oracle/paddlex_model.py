"""Run one PaddleX model alone (`create_model(...).predict`), the parity oracle for single-model bundles.

Runs under the oracle interpreter (paddlex==3.7.2 + paddlepaddle==3.0.0), never imported by hpi:

    .venv-oracle/bin/python tests/oracle/paddlex_model.py MODEL_DIR OUT_DIR [--engine NAME] IMAGE...

`--engine onnxruntime` runs MODEL_DIR/inference.onnx through PaddleX's own pre/post-processing. The model name
is read from the dir's inference.yml (`Global.model_name`). Writes OUT_DIR/<stem>.json with each result's
PaddleX `json["res"]`, and OUT_DIR/timing.json with per-image latency.
"""

import sys
from pathlib import Path

import yaml

from common import write_results


def main(model_dir, out_dir, *images):
    engine = {}
    if images[:1] == ("--engine",):
        engine, images = {"engine": images[1]}, images[2:]
    model_dir = Path(model_dir).resolve()
    config = yaml.safe_load((model_dir / "inference.yml").read_text(encoding="utf-8"))
    from paddlex import create_model

    model = create_model(model_name=config["Global"]["model_name"], model_dir=str(model_dir), device="cpu", **engine)
    write_results(model, images, out_dir)


if __name__ == "__main__":
    main(*sys.argv[1:])

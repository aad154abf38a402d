"""Run PaddleX's own OCR pipeline (the parity oracle) and write its JSON results.

Runs under the oracle interpreter (paddlex==3.7.2 + paddlepaddle==3.0.0), never imported by hpi:

    .venv-oracle/bin/python tests/oracle/paddlex_ocr.py OCR.yaml OUT_DIR [--params JSON] [--engine NAME] IMAGE...

`--params` is a JSON object of per-call parameters for every `predict` (e.g. {"text_det_thresh": 0.4});
`--engine onnxruntime` runs MODEL_DIR/inference.onnx (PaddleX's own pre/post-processing). A null
model_dir is PaddleX's: its model cache ($PADDLE_PDX_CACHE_HOME/official_models, `<name>_onnx` for
the onnxruntime engine).

Model dirs in the config (and in its SubPipelines) are resolved relative to the config file. Writes OUT_DIR/<stem>.json with
PaddleX's `json["res"]`, and OUT_DIR/timing.json with per-image latency.
"""

import json
import sys
import tempfile
from pathlib import Path

import yaml

from common import write_results


def main(config_path, out_dir, *images):
    params, engine = {}, {}
    while images[:1] in (("--params",), ("--engine",)):
        if images[0] == "--params":
            params = json.loads(images[1])
        else:
            engine = {"engine": images[1]}
        images = images[2:]
    config_path = Path(config_path).resolve()
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    subs = [config] + list((config.get("SubPipelines") or {}).values())
    for module in (m for sub in subs for m in (sub.get("SubModules") or {}).values()):
        if module.get("model_dir"):
            module["model_dir"] = str((config_path.parent / module["model_dir"]).resolve())
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(config, f, allow_unicode=True)
    from paddlex import create_pipeline

    pipeline = create_pipeline(pipeline=f.name, device="cpu", **engine)
    write_results(pipeline, images, out_dir, **params)


if __name__ == "__main__":
    main(*sys.argv[1:])

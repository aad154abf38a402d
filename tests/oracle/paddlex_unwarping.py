"""PaddleX's document unwarping with `engine="onnxruntime"`, the parity oracle for unwarping bundles: the UVDoc
predictor alone (`create_model(...).predict`), or the doc_preprocessor pipeline (`create_pipeline`).

Runs under the oracle interpreter (paddlex==3.7.2), never imported by hpi:

    .venv-oracle/bin/python tests/oracle/paddlex_unwarping.py model MODEL_DIR OUT_DIR IMAGE...
    .venv-oracle/bin/python tests/oracle/paddlex_unwarping.py pipeline doc_preprocessor.yaml OUT_DIR IMAGE...

Writes OUT_DIR/<stem>.npy with each result's image (the model's `doctr_img`, the pipeline's `output_img`;
uint8 HWC), OUT_DIR/<stem>.json with PaddleX's `json["res"]` less that image, and OUT_DIR/timing.json.
The pipeline config's model dirs must be absolute.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np


def main(mode, source, out_dir, *images):
    if mode == "model":
        from paddlex import create_model

        predictor = create_model(model_name="UVDoc", model_dir=str(Path(source).resolve()), device="cpu",
                                 engine="onnxruntime")
        image_key = "doctr_img"
    elif mode == "pipeline":
        from paddlex import create_pipeline

        predictor = create_pipeline(pipeline=str(Path(source).resolve()), device="cpu", engine="onnxruntime")
        image_key = "output_img"
    else:
        raise SystemExit(f"mode must be model or pipeline, got {mode!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings = {}
    for image in images:
        start = time.perf_counter()
        (result,) = list(predictor.predict(image))
        timings[image] = time.perf_counter() - start
        np.save(out / f"{Path(image).stem}.npy", np.asarray(result[image_key]))
        res = {k: v for k, v in result.json["res"].items() if k != image_key}
        (out / f"{Path(image).stem}.json").write_text(json.dumps(res, ensure_ascii=False))
    (out / "timing.json").write_text(json.dumps(timings))


if __name__ == "__main__":
    main(*sys.argv[1:])

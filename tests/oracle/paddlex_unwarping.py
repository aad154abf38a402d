"""Run PaddleX's UVDoc predictor alone (`create_model(...).predict`) with `engine="onnxruntime"`, the parity
oracle for document unwarping bundles.

Runs under the oracle interpreter (paddlex==3.7.2), never imported by hpi:

    .venv-oracle/bin/python tests/oracle/paddlex_unwarping.py MODEL_DIR OUT_DIR IMAGE...

Writes OUT_DIR/<stem>.npy with each result's `doctr_img` (uint8 HWC; its JSON would be the same numbers
as nested lists), OUT_DIR/<stem>.json with the rest of PaddleX's `json["res"]`, and OUT_DIR/timing.json.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np


def main(model_dir, out_dir, *images):
    from paddlex import create_model

    model = create_model(model_name="UVDoc", model_dir=str(Path(model_dir).resolve()), device="cpu",
                         engine="onnxruntime")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings = {}
    for image in images:
        start = time.perf_counter()
        (result,) = list(model.predict(image))
        timings[image] = time.perf_counter() - start
        np.save(out / f"{Path(image).stem}.npy", np.asarray(result["doctr_img"]))
        res = {k: v for k, v in result.json["res"].items() if k != "doctr_img"}
        (out / f"{Path(image).stem}.json").write_text(json.dumps(res, ensure_ascii=False))
    (out / "timing.json").write_text(json.dumps(timings))


if __name__ == "__main__":
    main(*sys.argv[1:])

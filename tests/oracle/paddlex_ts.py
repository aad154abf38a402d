"""Run PaddleX's time series models and pipelines on CSV files, the parity oracle for time series bundles.

Runs under the oracle interpreter (paddlex==3.7.2 + paddlepaddle==3.0.0), never imported by hpi:

    .venv-oracle/bin/python tests/oracle/paddlex_ts.py JOBS_JSON

JOBS_JSON lists jobs `{"out": DIR, "model_dir": DIR}` (create_model, the name from its inference.yml) or
`{"out": DIR, "pipeline": YAML}` (create_pipeline; `model_dir: null` resolves in $PADDLE_PDX_CACHE_HOME), each with
`"inputs": [CSV...]`. Per input it writes what PaddleX's result writes: DIR/<stem>.json (`json["res"]`) and
save_to_csv / save_to_img into DIR (<stem>_res.csv, <stem>_res.png). One process for every job: PaddleX's import
is the slow part.
"""

import json
import sys
from pathlib import Path

import yaml


def main(jobs_file):
    from paddlex import create_model, create_pipeline

    for job in json.loads(Path(jobs_file).read_text(encoding="utf-8")):
        if "pipeline" in job:
            predictor = create_pipeline(pipeline=job["pipeline"], device="cpu")
        else:
            config = yaml.safe_load((Path(job["model_dir"]) / "inference.yml").read_text(encoding="utf-8"))
            predictor = create_model(model_name=config["Global"]["model_name"], model_dir=job["model_dir"],
                                     device="cpu")
        out = Path(job["out"])
        out.mkdir(parents=True, exist_ok=True)
        for path in job["inputs"]:
            (result,) = list(predictor.predict(path))
            (out / f"{Path(path).stem}.json").write_text(json.dumps(result.json["res"], ensure_ascii=False))
            result.save_to_csv(str(out))
            result.save_to_img(str(out))


if __name__ == "__main__":
    main(*sys.argv[1:])

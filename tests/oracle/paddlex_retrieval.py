"""Run PaddleX's own retrieval pipelines (PP-ShiTuV2, face_recognition: the parity oracle) from JSON plans.

    .venv-oracle/bin/python tests/oracle/paddlex_retrieval.py PLANS.json

PLANS: a list of plans, run in order in one process (one pipeline per config); each {"config": pipeline yaml, "out": dir, "images": [query paths], "params": {predict() parameters},
"index": a saved index folder to load, or "build": {"images": [...], "labels": [...], "metric_type": ...,
"index_type": ...}, then optionally "append": {"images", "labels"}, "remove": [ids], "save": folder}. Writes
OUT/<stem>.json (each result's `json["res"]`) and OUT/<stem>.png (its `img["res"]`, PNG, lossless).

One fix is applied to PaddleX 3.7.2, without which it cannot build or search an index at all: its image feature
predictor hands every result the whole batch's [1, D] feature array (its batch splitter splits only lists), so
FaissBuilder.build fails ("too many values to unpack") and so would the search. Here the predictor returns the
batch's features as a list of [D] rows, which the splitter hands out one per image (what the pipeline code
expects), in the image and the face feature predictors alike. Everything else is PaddleX's own code.
"""

import json
import sys
from pathlib import Path

from paddlex.inference.models.face_feature.predictor import FaceFeaturePredictor
from paddlex.inference.models.image_feature.predictor import ImageFeatureRunnerPredictor


def _feature_rows(cls):
    process = cls.process

    def process_rows(self, batch_data, *args, **kwargs):
        out = process(self, batch_data, *args, **kwargs)
        out["feature"] = list(out["feature"])
        return out

    cls.process = process_rows


# FaceFeaturePredictor has its own process (the optional flip), with the same defect.
for _cls in (ImageFeatureRunnerPredictor, FaceFeaturePredictor):
    _feature_rows(_cls)

def run(pipeline, plan):
    if "build" in plan:
        b = plan["build"]
        index = pipeline.build_index(b["images"], b["labels"], metric_type=b.get("metric_type", "IP"),
                                     index_type=b.get("index_type", "HNSW32"))
    else:
        index = plan["index"]
    if "append" in plan:
        index = pipeline.append_index(plan["append"]["images"], plan["append"]["labels"], index)
    if "remove" in plan:
        index = pipeline.remove_index(plan["remove"], index)
    if "save" in plan:
        index.save(plan["save"])
    out = Path(plan["out"])
    out.mkdir(parents=True, exist_ok=True)
    for image in plan["images"]:
        (result,) = list(pipeline.predict(image, index=index, **plan.get("params", {})))
        stem = Path(image).stem
        (out / f"{stem}.json").write_text(json.dumps(result.json["res"], ensure_ascii=False), encoding="utf-8")
        result.img["res"].save(out / f"{stem}.png")


def main(plans_path):
    from paddlex import create_pipeline

    pipelines = {}
    for plan in json.loads(Path(plans_path).read_text(encoding="utf-8")):
        if plan["config"] not in pipelines:
            pipelines[plan["config"]] = create_pipeline(pipeline=plan["config"], device="cpu")
        run(pipelines[plan["config"]], plan)

if __name__ == "__main__":
    main(*sys.argv[1:])

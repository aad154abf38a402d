"""PaddleX 3.7.2's text recognition decoding of given probabilities (run under .venv-oracle).

usage: paddlex_ctc_decode.py MODEL_DIR PREDS.npy OUT.json

MODEL_DIR/inference.yml is read by PaddleX's own model config loader, the decoder is built from its
PostProcess block the way TextRecRunnerPredictor builds it, and PREDS ([N, T, C] probabilities) is decoded;
OUT.json gets {"texts": [...], "scores": [...]}.
"""

import json
import sys
from pathlib import Path

import numpy as np
from paddlex.inference.models.text_recognition.predictor import TextRecRunnerPredictor
from paddlex.inference.models.utils.model_config import load_model_config


def main(model_dir: str, preds_path: str, out_path: str) -> None:
    config = load_model_config(Path(model_dir))
    decode = TextRecRunnerPredictor.build_postprocess(None, **config["PostProcess"])
    texts, scores = decode([np.load(preds_path)])
    Path(out_path).write_text(json.dumps({"texts": texts, "scores": scores}, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])

"""Run a PaddleX vision pipeline (attribute recognition, small object detection, ...) and write its JSON results
and its pictures in one go (one PaddleX start-up, one prediction per image).

    .venv-oracle/bin/python tests/oracle/paddlex_vision_pipeline.py CONFIG.yaml[:CONFIG2.yaml...] OUT_DIR [--params JSON] IMAGE...

Several configs (joined by ":") run in the one process, config i writing into OUT_DIR/i. Writes OUT_DIR/<stem>.json with each result's `json["res"]` (as tests/oracle/common.py) and OUT_DIR/pictures/ with
`save_to_img` of each result (PaddleX's own names). Null model_dirs come from PaddleX's model cache
($PADDLE_PDX_CACHE_HOME/official_models); `--params` is a JSON object of per-call `predict` parameters. Pictures
with texts use PADDLE_PDX_LOCAL_FONT_FILE_PATH when set (otherwise PaddleX downloads its font).
"""

import json
import sys
from pathlib import Path


def run(config, out: Path, images, params) -> None:
    from paddlex import create_pipeline

    pipeline = create_pipeline(pipeline=config, device="cpu")
    (out / "pictures").mkdir(parents=True, exist_ok=True)
    for image in images:
        (result,) = list(pipeline.predict(image, **params))
        (out / f"{Path(image).stem}.json").write_text(json.dumps(result.json["res"], ensure_ascii=False))
        result.save_to_img(str(out / "pictures"))


def main(configs, out_dir, *images):
    params = {}
    if images[:1] == ("--params",):
        params, images = json.loads(images[1]), images[2:]
    configs = configs.split(":")
    for i, config in enumerate(configs):
        run(config, Path(out_dir) / str(i) if len(configs) > 1 else Path(out_dir), images, params)


if __name__ == "__main__":
    main(*sys.argv[1:])

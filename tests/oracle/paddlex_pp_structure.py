"""Run PaddleX's own PP-StructureV3 pipeline (layout_parsing v2, the parity oracle): its JSON and its Markdown.

    .venv-oracle/bin/python tests/oracle/paddlex_pp_structure.py PP-StructureV3.yaml OUT_DIR [--params JSON] IMAGE...

Writes OUT_DIR/<stem>.json (PaddleX's `json["res"]`) and, with `save_to_markdown(OUT_DIR/<stem>/)`, the page's
Markdown file and its images (OUT_DIR/<stem>/<stem>.md, OUT_DIR/<stem>/imgs/...). PaddleX guards the pipeline with
its whole `paddlex[ocr]` extra; tests/oracle/paddlex_seal.py lets that guard through when `ocr-core` and shapely
are importable (the parts PP-StructureV3 uses with charts off; tables also need scikit-learn): every
computation is PaddleX's own.
"""

import json
import sys
from pathlib import Path

import paddlex_seal  # noqa: F401  (the extra guard, as for the seal pipeline)


def main(config_path, out_dir, *images):
    params = {}
    if images[:1] == ("--params",):
        params, images = json.loads(images[1]), images[2:]
    from paddlex import create_pipeline

    pipeline = create_pipeline(pipeline=str(Path(config_path).resolve()), device="cpu")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for image in images:
        (result,) = list(pipeline.predict(image, **params))
        stem = Path(image).stem
        (out / f"{stem}.json").write_text(json.dumps(result.json["res"], ensure_ascii=False), encoding="utf-8")
        result.save_to_markdown(str(out / stem))


if __name__ == "__main__":
    main(*sys.argv[1:])

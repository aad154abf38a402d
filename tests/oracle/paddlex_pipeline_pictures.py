"""Run a PaddleX pipeline config on images and save each result's pictures (`save_to_img`), the parity oracle for
pictures of the pipelines whose JSON tests/oracle/paddlex_seal.py writes.

    .venv-oracle/bin/python tests/oracle/paddlex_pipeline_pictures.py CONFIG.yaml OUT_DIR IMAGE...

The `ocr` extra guard is let through as tests/oracle/paddlex_seal.py does; every computation is PaddleX's own.
"""

import sys
from pathlib import Path

import paddlex_seal  # noqa: F401  (the extra guard)


def main(config, out_dir, *images):
    from paddlex import create_pipeline

    pipeline = create_pipeline(pipeline=config, device="cpu")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for image in images:
        for result in pipeline.predict(image):
            result.save_to_img(str(out))  # a folder: every picture, as <stem>_<key>.png


if __name__ == "__main__":
    main(*sys.argv[1:])

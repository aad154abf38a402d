"""Run PaddleX's own seal_recognition pipeline (the parity oracle) and write its JSON results.

    .venv-oracle/bin/python tests/oracle/paddlex_seal.py seal_recognition.yaml OUT_DIR [--engine NAME] IMAGE...

As tests/oracle/paddlex_ocr.py (it runs that script's main), with one difference: PaddleX 3.7.2 guards
the seal_recognition pipeline with its whole `paddlex[ocr]` extra (PDF, table, formula and LLM parts:
beautifulsoup4, tokenizers, scikit-learn, ...), of which the seal pipeline itself uses nothing beyond
`ocr-core` and shapely. The oracle environment has `ocr-core` and shapely, so the guard is let through
for that extra only when those are importable; every computation is PaddleX's own.
"""

import sys

from paddlex.utils import deps

from paddlex_ocr import main

_require_extra = deps.require_extra


def _require_extra_seal(extra, *args, **kwargs):
    if extra == "ocr" and deps.is_extra_available("ocr-core") and deps.is_dep_available("shapely"):
        return
    return _require_extra(extra, *args, **kwargs)


deps.require_extra = _require_extra_seal

if __name__ == "__main__":
    main(*sys.argv[1:])

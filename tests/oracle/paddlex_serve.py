"""`paddlex --serve` itself (PaddleX 3.7.2's CLI main, unchanged) with tests/oracle/paddlex_seal.py's guard: PaddleX
guards its document pipelines (seal, table, formula recognition, PP-StructureV3) with its whole `paddlex[ocr]` extra,
of which they use only what the oracle environment has; every computation and the serving app are PaddleX's own.

    .venv-oracle/bin/python tests/oracle/paddlex_serve.py --serve --pipeline CONFIG.yaml --host 127.0.0.1 --port N
"""

import sys

import paddlex_seal  # noqa: F401  (the extra guard)
from paddlex.paddlex_cli import main

if __name__ == "__main__":
    sys.exit(main())

"""PaddleX 3.7.2's UniMERNetDecode alone (no model), the oracle for runtime_min/ops/formula.py's decoding.

Runs under the oracle interpreter, never imported by hpi:

    .venv-oracle/bin/python tests/oracle/paddlex_formula_decode.py IN.json OUT.json

IN.json: {"character_dict": PostProcess.character_dict, "ids": [[token ids]...], "texts": [decoded strings]}.
OUT.json: {"decoded": UniMERNetDecode(ids) (token2str), "post_processed": its post_process(text) per text}.
"""

import json
import sys

import numpy as np


def main(src, dst):
    from paddlex.inference.models.formula_recognition.processors import UniMERNetDecode

    data = json.loads(open(src, encoding="utf-8").read())
    decode = UniMERNetDecode(character_list=data["character_dict"])
    out = {"decoded": [decode(np.array([ids], dtype=np.int64))[0] for ids in data["ids"]],
           "post_processed": [decode.post_process(t) for t in data["texts"]]}
    open(dst, "w", encoding="utf-8").write(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main(*sys.argv[1:])

"""runtime_min/ops/formula.py's UniMERNetDecode vs PaddleX 3.7.2's own (no model): random token id sequences on
the fixture's byte-level BPE tokenizer (tests/fixtures/make_formula_model.py) with extra added tokens, special
and not, in the tokenizer_config (PaddleX registers them in runs by `special`), `eos` anywhere or nowhere, pads
and starts; and LaTeX strings that reach every branch of its post_process (Chinese \\text{} unwrapping and '"'
removal, ftfy's fix_text on mojibake, the \\mathrm / \\text / \\operatorname / \\mathbf space rules, the
letter / non-letter space removal). Every string must be equal."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from conftest import ORACLE_PYTHON, REPO, needs_oracle, run_oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
import make_formula_model  # noqa: E402

pytestmark = needs_oracle()
TEXTS = [
    r"\mathrm {d} x + y", r"\text {温度} = 3", r"\text {a b} \alpha", '"quoted" x', r"\operatorname {sin} x",
    r"\mathbf {\alpha} y", r"\mathrm {\Delta x} z", "a + b = c", r"\frac { 1 } { 2 }", "x _ { 1 } ^ { 2 }",
    "cafÃ© \\cdot 2", r"\text { if } x > 0", r"\left( x \right)", "", "  ", r"\\ a", r"\mathbf{x} \text{abc} 1",
]


def _character_dict() -> dict:
    chars = make_formula_model.tokenizer_files()
    added = chars["tokenizer_config_file"]["added_tokens_decoder"]
    base = len(chars["fast_tokenizer_file"]["model"]["vocab"])
    for k, (content, special) in enumerate([("\\mbox", False), ("<sep/>", True), ("\\qquad", False)]):
        added[str(base + k)] = {"content": content, "lstrip": False, "normalized": False, "rstrip": False,
                                "single_word": False, "special": special}
    return chars


def test_unimernet_decode_matches_paddlex(tmp_path):
    from hpi.runtime_min.ops.formula import UniMERNetDecode, post_process

    chars = _character_dict()
    vocab = len(chars["fast_tokenizer_file"]["model"]["vocab"]) + 3
    rng = np.random.default_rng(0)
    ids = []
    for i in range(60):
        seq = [0, 0, 0] + rng.integers(0, vocab, int(rng.integers(0, 40))).tolist()
        if i % 3 == 0:
            seq = [t for t in seq if t != 2]  # no eos: decoded to the end
        ids.append(seq)
    src, dst = tmp_path / "in.json", tmp_path / "out.json"
    src.write_text(json.dumps({"character_dict": chars, "ids": ids, "texts": TEXTS}, ensure_ascii=False),
                   encoding="utf-8")
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_formula_decode.py"), str(src), str(dst)],
               check=True, capture_output=True)
    theirs = json.loads(dst.read_text(encoding="utf-8"))
    decode = UniMERNetDecode(chars)
    ours = [decode(np.array([seq], dtype=np.int64))[0] for seq in ids]
    assert sum(bool(t) for t in theirs["decoded"]) > 40  # the sequences decode to text, not to nothing
    assert ours == theirs["decoded"]
    assert [post_process(t) for t in TEXTS] == theirs["post_processed"]


def test_missing_tokenizers_is_one_line(monkeypatch):
    from hpi.core.errors import BackendUnavailable
    from hpi.runtime_min.ops.formula import UniMERNetDecode

    chars = make_formula_model.tokenizer_files()
    monkeypatch.setitem(sys.modules, "tokenizers", None)
    with pytest.raises(BackendUnavailable, match=r"pip install 'hpi-aot\[formula\]'"):
        UniMERNetDecode(chars)

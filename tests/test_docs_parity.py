"""docs/pipelines.md's PaddleX parity figures are the parity tests' own output, not hand-copied prints.

The parity tests (tests/recipes/test_parity_*.py, through tests/parity.py) record the worst difference per
field and write them to benchmarks/results/parity.json when run with
`HPI_PARITY_RESULTS=benchmarks/results/parity.json` (cases from other runs are kept). The docs' table between
the `parity-figures` markers is generated from that file; this test holds the two equal, and rewrites the
table with HPI_UPDATE_DOCS=1.
"""

from __future__ import annotations

import json
import os
import re

from conftest import REPO

RESULTS = REPO / "benchmarks" / "results" / "parity.json"
DOC = REPO / "docs" / "pipelines.md"
BEGIN, END = "<!-- parity-figures -->", "<!-- /parity-figures -->"


def _figure(value) -> str:
    return "n/a" if value is None else "0" if value == 0 else f"{value:.2g}"


def render(data: dict) -> str:
    lines = ["| case (model or pipeline / backend) | worst difference per field over the test images |", "|---|---|"]
    for case, fields in sorted(data.items()):
        lines.append(f"| {case} | " + ", ".join(f"`{k}` {_figure(v)}" for k, v in sorted(fields.items())) + " |")
    return "\n".join(lines)


def test_docs_parity_figures_are_the_parity_tests_output():
    data = json.loads(RESULTS.read_text(encoding="utf-8"))
    doc = DOC.read_text(encoding="utf-8")
    match = re.search(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), doc, re.S)
    assert match, f"docs/pipelines.md has no {BEGIN} ... {END} block"
    expected = render(data) + "\n"
    if os.environ.get("HPI_UPDATE_DOCS") == "1":
        DOC.write_text(doc[:match.start(1)] + expected + doc[match.end(1):], encoding="utf-8")
        return
    assert match.group(1) == expected, (
        "docs/pipelines.md's parity figures differ from benchmarks/results/parity.json; "
        "regenerate: HPI_UPDATE_DOCS=1 .venv/bin/python -m pytest tests/test_docs_parity.py")


def test_every_parity_case_has_figures():
    """Each field of each case has a measured figure (a case that recorded nothing would list no field)."""
    data = json.loads(RESULTS.read_text(encoding="utf-8"))
    assert data and all(fields for fields in data.values()), data
    assert all(v is not None for fields in data.values() for v in fields.values()), data

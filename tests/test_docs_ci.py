"""docs/ci.md's shell example runs as written and produces what it says it publishes."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from conftest import BIN, REPO

pytestmark = pytest.mark.slow


def test_ci_shell_example_runs(models_dir, tmp_path):
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    script = re.search(r"<!-- ci-example -->\n```bash\n(.*?)```", text, re.S).group(1)
    out = tmp_path / "out"
    env = {**os.environ, "MODEL": str(models_dir / "PP-OCRv4_mobile_rec"), "OUT": str(out),
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "compile-report.json").read_text())["status"] == "ok"
    assert json.loads((out / "verify.json").read_text())["self_test"]["passed"]
    assert "text_recognition pipeline" in (out / "inspect.txt").read_text()

    previous = tmp_path / "previous.hpi"
    previous.write_bytes((out / "model.hpi").read_bytes())
    env["PREVIOUS"] = str(previous)
    proc = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "equivalent" in (out / "diff.txt").read_text()

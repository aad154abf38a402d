"""Every command's --help reads well at 80 columns where it is not on a terminal (a pipe, a CI log):
no line past 80, no option name cut short, no type placeholders such as <bool>."""

from __future__ import annotations

import os
import subprocess

import pytest

from conftest import BIN

COMMANDS = [("hpi-run",), ("hpi",), ("hpi", "inspect"), ("hpi", "verify"), ("hpi", "diff"), ("hpi", "cache"),
            ("hpi", "export"), ("hpi", "export", "triton"),
            ("hpi-compile",), ("hpi-license",), ("hpi-license", "trust"), ("hpi-license", "activate"),
            ("hpi-license", "request"), ("hpi-license", "new-product"), ("hpi-license", "issue"),
            ("hpi-license", "serve")]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_fits_80_columns(command):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.run([str(BIN / command[0]), *command[1:], "--help"], capture_output=True, text=True,
                          env=env, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    bad = [line for line in proc.stdout.splitlines()
           if len(line) > 80 or "…" in line or "<bool>" in line or "<list[" in line]
    assert not bad, "\n".join(bad)

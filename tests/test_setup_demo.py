"""`scripts/setup.sh demo` (what the README's first command runs) on a fresh copy of the repository:
only hpi and the compiler (no test tools, no PaddleX oracle, no second converter), no tool warnings.

Needs PyPI (or the machine's package mirror); pip's cache makes it about a minute.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
import io

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow


def test_demo_setup_installs_only_what_the_demo_needs_and_warns_of_nothing(tmp_path):
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "HEAD"], capture_output=True,
                             check=True).stdout
    tarfile.open(fileobj=io.BytesIO(archive)).extractall(tmp_path / "clone", filter="data")
    clone = tmp_path / "clone"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HPI_", "VIRTUAL_ENV", "PIP_CONSTRAINT"))}
    env.update(HOME=str(tmp_path / "home"), PIP_CACHE_DIR=os.environ.get(
        "PIP_CACHE_DIR", os.path.expanduser("~/.cache/pip")), HPI_TOOLS_DIR=str(tmp_path / "tools"))
    proc = subprocess.run(["bash", "scripts/setup.sh", "demo"], cwd=clone, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [l for l in (proc.stdout + proc.stderr).splitlines() if l.strip()]
    assert all(l.startswith(("setup:", "private key", "public key", "trusted as")) for l in lines), lines
    assert not (clone / ".venv-oracle").exists() and not (tmp_path / "tools").exists()
    listed = subprocess.run([str(clone / ".venv/bin/python"), "-m", "pip", "list", "--format=freeze"],
                            capture_output=True, text=True, env=env, check=True).stdout.lower()
    assert "paddlepaddle==" in listed and "openvino==" in listed and "hpi-aot==" in listed
    assert "pytest==" not in listed and "paddlex==" not in listed and "fastapi==" not in listed
    assert (tmp_path / "home/.config/hpi/signing_key.pub").is_file()

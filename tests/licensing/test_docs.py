"""docs/licensing.md runs as written: its `bash` and `python` blocks, in order, as one script, on a fake
machine (tests/licensing/fake_machine on PYTHONPATH) with a private HPI_CONFIG_DIR; the server it starts listens
on a free port instead of 8470. `sh` blocks (Docker, hpi-run on a compiled bundle) are not run."""

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from license_helpers import free_port, make_machine
from license_helpers import private_folders  # noqa: F401 (fixtures)

DOC = Path(__file__).resolve().parents[2] / "docs" / "licensing.md"
BLOCK = re.compile(r"^```(bash|python|sh)\n(.*?)^```", re.S | re.M)


def doc_script(port: int) -> str:
    parts = ["set -euo pipefail"]
    for lang, body in BLOCK.findall(DOC.read_text()):
        if lang == "bash":
            parts.append(body)
        elif lang == "python":
            parts.append(f"python - <<'PYEOF'\n{body}PYEOF\n")
    return "\n".join(parts).replace("8470", str(port))


@pytest.mark.skipif(not shutil.which("curl"), reason="the documented commands use curl")
def test_licensing_doc_commands_run_as_written(tmp_path):
    assert len([b for b in BLOCK.findall(DOC.read_text()) if b[0] == "bash"]) >= 8
    env = {k: v for k, v in os.environ.items() if not k.startswith("HPI_")}
    env.update(HOME=str(tmp_path / "home"), HPI_CONFIG_DIR=str(tmp_path / "config"),
               HPI_TEST_MACHINE_ROOT=str(make_machine(tmp_path / "machine")),
               PYTHONPATH=str(Path(__file__).parent / "fake_machine"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}")
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.Popen(["bash", "-c", doc_script(free_port())], cwd=work, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=120)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the server the doc started in the background
        except ProcessLookupError:
            pass
    assert proc.returncode == 0, out
    assert "installed" in out and "deactivated seat 1" in out and "revoked" in out
    assert '"action": "deactivate"' in out
    assert stat_mode(tmp_path / "config" / "licenses") == 0o700


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777

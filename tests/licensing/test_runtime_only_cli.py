"""hpi-license's deployment commands work without the compiler/server extras (no typer, no rich);
its vendor commands and hpi-compile say in one line which extra to install.

A child Python where `import typer` / `import rich` fail stands in for a runtime-only install here;
tests/test_wheel_install.py checks the same on a real one (a venv with only the wheel's openvino extra).
"""

from __future__ import annotations

import os
import subprocess
import sys

from hpi.core.signing import generate_keypair

RUNTIME_ONLY = """
import sys
for name in ("typer", "rich", "click", "fastapi", "uvicorn"):
    sys.modules[name] = None  # import fails as it does where the package is not installed
from {module} import main
sys.exit(main(sys.argv[1:]))
"""


def _cli(module: str, *args, config) -> subprocess.CompletedProcess:
    env = {**os.environ, "HPI_CONFIG_DIR": str(config)}
    return subprocess.run([sys.executable, "-c", RUNTIME_ONLY.format(module=module), *map(str, args)],
                          capture_output=True, text=True, env=env)


def test_deployment_commands_without_typer(tmp_path):
    _, public = generate_keypair(tmp_path / "signer.pem")
    config = tmp_path / "config"
    proc = _cli("hpi.licensing.cli", "trust", public, config=config)
    assert proc.returncode == 0, proc.stderr
    assert list((config / "trusted_keys").glob("*.pub"))
    proc = _cli("hpi.licensing.cli", "show", config=config)
    assert proc.returncode == 0 and "0 certificate(s)" in proc.stderr, proc.stderr
    proc = _cli("hpi.licensing.cli", "--help", config=config)
    assert proc.returncode == 0 and "request" in proc.stdout and "new-product" in proc.stdout


def test_vendor_commands_name_the_extra(tmp_path):
    proc = _cli("hpi.licensing.cli", "new-product", "ocr-pro", config=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("hpi-license: error: `hpi-license new-product` is a vendor command and needs "
                                   "typer: pip install 'hpi-aot[server]'")


def test_compile_names_the_extra(tmp_path):
    proc = subprocess.run([sys.executable, "-c", RUNTIME_ONLY.format(module="hpi.compiler"), "x.yaml"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "pip install 'hpi-aot[compiler]'" in proc.stderr and "typer" in proc.stderr


def test_the_vendor_command_list_is_the_vendor_app():
    """hpi-license dispatches these names to cli_issuer without importing it (typer): one list each."""
    import typer.main

    from hpi.licensing.cli import VENDOR_COMMANDS
    from hpi.licensing.cli_issuer import app

    assert set(typer.main.get_command(app).commands) == set(VENDOR_COMMANDS)

"""A real NVIDIA Triton Inference Server for tests: its binary, a Python env for its Python backend, its client.

Built once into $HPI_TOOLS_DIR (~/.cache/hpi/tools, as paddle2onnx) and reused:
  nvidia-pytriton-0.7.0/   the wheel unpacked (pip --target --no-deps): tritonserver 2.51 with the Python
                           backend; the stub for this Python copied into backends/python (as PyTriton does)
  triton-python-env-3.11/  a venv for the model's stub process (EXECUTION_ENV_PATH): the stub's pybind11 is
                           built against NumPy 1, whose array layout NumPy 2 changed (BYTES inputs arrive as
                           garbage lengths and the stub aborts), so numpy<2 with hpi's runtime dependencies and
                           this checkout of hpi (editable, no deps)
  tritonclient-2.73.0/     tritonclient[http] (pip --target), appended to sys.path by the test
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
# The runtime's dependencies (pyproject.toml) with NumPy 1 for the stub; the backends as in the dev env.
STUB_ENV_PACKAGES = ["numpy<2", "opencv-python-headless==4.10.0.84", "pyclipper==1.4.0", "cryptography>=42",
                     "pyyaml>=6", "pillow>=10.1", "onnxruntime>=1.18", "openvino>=2024.4"]


class ToolsMissing(RuntimeError):
    """The tools could not be built here (no wheel, no shared libpython): the reason, for missing()."""


def tools_dir() -> Path:
    return Path(os.environ.get("HPI_TOOLS_DIR", Path.home() / ".cache" / "hpi" / "tools"))


def _pip(python, *args) -> None:
    proc = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=900)
    if proc.returncode:
        raise ToolsMissing(f"pip install {' '.join(args)} failed: {proc.stderr.strip()[-400:]}")


def server_dir() -> Path:
    root = tools_dir() / "nvidia-pytriton-0.7.0"
    done = root / ".hpi-complete"
    if not done.exists():
        _pip(sys.executable, "--no-deps", "--target", root, "nvidia-pytriton==0.7.0")
        stub = root / "pytriton" / "tritonserver" / "python_backend_stubs" / PY / "triton_python_backend_stub"
        if not stub.exists():
            raise ToolsMissing(f"nvidia-pytriton 0.7.0 has no Python backend stub for Python {PY}")
        target = root / "pytriton" / "tritonserver" / "backends" / "python" / stub.name
        target.write_bytes(stub.read_bytes())
        target.chmod(0o755)
        done.write_text("ok\n")
    return root


def stub_env() -> Path:
    env = tools_dir() / f"triton-python-env-{PY}"
    python = env / "bin" / "python"
    if not (env / ".hpi-complete").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(env)], check=True, capture_output=True)
        _pip(python, *STUB_ENV_PACKAGES)
        (env / ".hpi-complete").write_text("ok\n")
    where = subprocess.run([str(python), "-c", "import hpi.runtime_min as m; print(m.__file__)"],
                           capture_output=True, text=True)
    if where.returncode or not where.stdout.strip().startswith(str(REPO)):  # another checkout's, or none
        _pip(python, "--no-deps", "-e", REPO)
    return env


def client_dir() -> Path:
    root = tools_dir() / "tritonclient-2.73.0"
    if not (root / ".hpi-complete").exists():
        _pip(sys.executable, "--target", root, "tritonclient[http]==2.73.0")
        (root / ".hpi-complete").write_text("ok\n")
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def tritonserver(repository: Path, log: Path, env_overrides: dict[str, str], ready_timeout: float = 120.0):
    """A tritonserver on loopback serving `repository`; yields its HTTP "host:port"; always stopped."""
    import urllib.request

    root = server_dir()
    libpython = sysconfig.get_config_var("LIBDIR")  # the stub links libpython3.X.so.1.0
    if not sysconfig.get_config_var("Py_ENABLE_SHARED") and not Path("/usr/lib/x86_64-linux-gnu",
                                                                      f"libpython{PY}.so.1.0").exists():
        raise ToolsMissing(f"no shared libpython{PY} here (a static Python build): the Python backend stub needs it")
    env = {**os.environ, **env_overrides}
    env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (libpython, str(root / "nvidia_pytriton.libs"),
                                                         env.get("LD_LIBRARY_PATH")) if p)
    http, grpc = free_port(), free_port()
    cmd = [str(root / "pytriton" / "tritonserver" / "bin" / "tritonserver"), "--model-repository", str(repository),
           "--backend-directory", str(root / "pytriton" / "tritonserver" / "backends"),
           "--http-address", "127.0.0.1", "--http-port", str(http), "--grpc-address", "127.0.0.1",
           "--grpc-port", str(grpc), "--allow-metrics", "false", "--exit-timeout-secs", "5"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"tritonserver exited with {proc.returncode}: {_errors(log)}")
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{http}/v2/health/ready", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"tritonserver not ready after {ready_timeout:.0f} s: {_errors(log)}")
            time.sleep(0.5)
        yield f"127.0.0.1:{http}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _errors(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines()
    return " | ".join(line for line in lines if line.startswith("E") or "rror" in line)[-1500:] or "(no error lines)"

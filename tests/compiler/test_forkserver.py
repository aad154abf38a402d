"""The fork server answers as `subprocess.run([python, ...], capture_output=True, text=True)` would: output, exit
codes, exceptions, signals, environment, concurrent callers; and steps aside where a child must start fresh."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from hpi.compiler import forkserver
from hpi.compiler.forkserver import ForkServer, run_python

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")

CHILDREN = [
    ["-c", "import sys; print('out', sys.argv[1:]); print('err', file=sys.stderr)", "a", "b"],
    ["-c", "raise SystemExit(3)"],
    ["-c", "raise SystemExit('a message')"],
    ["-c", "raise ValueError('boom')"],
    ["-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"],
    ["-m", "json.tool", "--help"],
]


@pytest.fixture(scope="module")
def server():
    server = ForkServer(preload=("json",))
    yield server
    server.close()


@pytest.mark.parametrize("args", CHILDREN, ids=["argv-output", "exit-3", "exit-message", "exception", "sigkill", "module"])
def test_a_child_answers_as_a_fresh_interpreter(server, args):
    fresh = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    forked = server.run(args)
    assert forked.returncode == fresh.returncode
    assert forked.stdout == fresh.stdout
    # the last line (what the compiler reports) is the same; a traceback's frames are not
    assert forked.stderr.strip().splitlines()[-1:] == fresh.stderr.strip().splitlines()[-1:]


def test_a_child_gets_the_callers_environment_and_is_a_separate_process(server):
    env = {**os.environ, "HPI_TEST_VALUE": "42", "PYTHONPATH": "/nonexistent-entry"}
    code = "import os, sys; print(os.environ['HPI_TEST_VALUE'], '/nonexistent-entry' in sys.path, os.getpid())"
    value, on_path, pid = server.run(["-c", code], env=env).stdout.split()
    assert (value, on_path) == ("42", "True") and int(pid) not in (os.getpid(), server.proc.pid)


def test_concurrent_callers_each_get_their_own_answer(server):
    answers = {}

    def call(i):
        answers[i] = server.run(["-c", f"import time; time.sleep(0.2); print({i})"]).stdout.strip()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {i: str(i) for i in range(6)}


def test_an_import_time_variable_that_differs_starts_the_child_fresh(server):
    assert server.accepts(dict(os.environ))
    assert not server.accepts({**os.environ, "FLAGS_enable_pir_api": "0" if os.environ.get(
        "FLAGS_enable_pir_api") == "1" else "1"})
    assert server.accepts({**os.environ, "PADDLE_PDX_CACHE_HOME": "/elsewhere"})  # PaddleX's, not read by paddle


def test_run_python_falls_back_when_switched_off(monkeypatch):
    monkeypatch.setenv("HPI_FORKSERVER", "0")
    assert forkserver._shared_server(dict(os.environ)) is None
    done = run_python(["-c", "import os; print(os.getppid())"])
    assert done.returncode == 0 and int(done.stdout) == os.getpid()  # a plain child of this process


def test_a_dead_server_fails_its_callers_instead_of_hanging():
    server = ForkServer(preload=())
    server.proc.kill()
    server.proc.wait()
    server._reader.join(timeout=10)
    with pytest.raises(OSError):
        server.run(["-c", "print(1)"])

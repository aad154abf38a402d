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
    fresh = subprocess.run([sys.executable, *args], capture_output=True)
    forked = server.run(args)
    assert forked.returncode == fresh.returncode
    assert forked.stdout == fresh.stdout
    # the last line (what the compiler reports) is the same; a traceback's frames are not
    assert forked.stderr.strip().splitlines()[-1:] == fresh.stderr.strip().splitlines()[-1:]


def test_a_child_gets_the_callers_environment_and_is_a_separate_process(server):
    env = {**os.environ, "HPI_TEST_VALUE": "42"}
    value, pid = server.run(["-c", "import os; print(os.environ['HPI_TEST_VALUE'], os.getpid())"], env=env).stdout.split()
    assert value == b"42" and int(pid) not in (os.getpid(), server.proc.pid)


def test_each_pythonpath_has_its_own_server(tmp_path):
    """The compiler puts paddle2onnx 2.1.0's folder on PYTHONPATH for that converter only: a child must see the
    path of its own request, whichever request started a server first."""
    code = "import sys; print([p for p in sys.path if p.startswith({!r})])".format(str(tmp_path))
    for name in ("a", "b", "a"):
        (tmp_path / name).mkdir(exist_ok=True)
        done = run_python(["-c", code], env={**os.environ, "PYTHONPATH": str(tmp_path / name)}, preload=())
        assert done.stdout.strip() == repr([str(tmp_path / name)])
    done = run_python(["-c", code], env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, preload=())
    assert done.stdout.strip() == "[]"


def test_concurrent_callers_each_get_their_own_answer(server):
    answers = {}

    def call(i):
        answers[i] = server.run(["-c", f"import time; time.sleep(0.2); print({i})"]).stdout.decode().strip()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {i: str(i) for i in range(6)}


def test_servers_are_kept_per_import_time_environment():
    """A child whose import-time variables differ gets another server (it must import under them); other
    variables are the request's own. Preload nothing here: servers start in milliseconds."""
    flag = "0" if os.environ.get("FLAGS_enable_pir_api") == "1" else "1"
    base = forkserver.server_for(dict(os.environ), preload=())
    assert forkserver.server_for({**os.environ, "PADDLE_PDX_CACHE_HOME": "/elsewhere"}, preload=()) is base
    other = forkserver.server_for({**os.environ, "FLAGS_enable_pir_api": flag}, preload=())
    assert other is not base
    done = forkserver.run_python(["-c", "import os; print(os.environ['FLAGS_enable_pir_api'])"], preload=(),
                                 env={**os.environ, "FLAGS_enable_pir_api": flag})
    assert done.stdout.strip() == flag


def test_run_python_falls_back_when_switched_off(monkeypatch):
    monkeypatch.setenv("HPI_FORKSERVER", "0")
    assert forkserver.server_for(dict(os.environ)) is None
    done = run_python(["-c", "import os; print(os.getppid())"])
    assert done.returncode == 0 and int(done.stdout) == os.getpid()  # a plain child of this process


def test_a_dead_server_fails_its_callers_instead_of_hanging():
    server = ForkServer(preload=())
    server.proc.kill()
    server.proc.wait()
    server._reader.join(timeout=10)
    with pytest.raises(OSError):
        server.run(["-c", "print(1)"])


def test_a_closed_server_refuses_new_children():
    """What an evicted server does (MAX_SERVERS): run_python then starts the child fresh."""
    server = ForkServer(preload=())
    server.close()
    with pytest.raises(OSError):
        server.run(["-c", "print(1)"])

"""A fork server: Python child processes started by forking one process that has already imported the heavy
libraries, instead of a fresh interpreter each time.

Every compiled model runs three children (Paddle's reference, paddle2onnx, OpenVINO's conversion), kept out of
the compiler's process on purpose: a corrupt model can abort Paddle, a fresh process gives OpenVINO's
deterministic node names, and each child's memory goes back when it ends. Each fresh interpreter spent 2-5 s
importing paddle or openvino before doing anything. The server imports them once (`PRELOAD`); each request
forks it, so the child starts with them imported and still has every property of a separate process (own
memory, a crash is an exit status, nothing left behind). One server per compiler process, started at the first
request, gone when the process ends (it exits when its stdin closes).

`run_python(args, env=...)` is `subprocess.run([sys.executable, *args], capture_output=True, text=True)`
for args `-c CODE ...` or `-m MODULE ...`. It falls back to exactly that call where fork is not available, when
$HPI_FORKSERVER is 0, or when the caller's environment differs from the server's in a variable read at import
time (FLAGS_*, OMP_*, ...): such a child must start fresh to see it.

This file is also the server itself (`python forkserver.py MODULE...`), with no hpi import, so another
interpreter (the tests' PaddleX one) can run it too.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import threading

# Imported once by the server; what the compiler's children spend their start-up on.
PRELOAD = ("numpy", "onnx", "openvino", "paddle")
# Environment variables read when the interpreter starts or a library is imported: each set of values has its own
# server. PYTHONPATH among them: the compiler puts another paddle2onnx version on it, and a server started with
# one version's folder on its path would hand that version to every child.
IMPORT_TIME_PREFIXES = ("FLAGS_", "OMP_", "MKL", "KMP_", "GLOG_", "OPENBLAS", "OV_", "OPENVINO",
                        "CUDA", "LD_", "PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE")


class ForkServer:
    """One server process (`python` running this file with `preload` imported); thread-safe `run`."""

    def __init__(self, python: str = sys.executable, preload=PRELOAD, env: dict | None = None):
        self.proc = subprocess.Popen([str(python), os.path.abspath(__file__), *preload], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self._lock = threading.Lock()
        self._waiting: dict[int, list] = {}  # request id -> [event, returncode]
        self._next = 0
        self._gone = False  # set by the reader when the server's output ends
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def run(self, args: list[str], env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
        """`python ARGS` as a forked child: CompletedProcess with returncode (negative: the signal) and the
        output as bytes. OSError when the server has ended."""
        env = dict(os.environ if env is None else env)
        with tempfile.TemporaryDirectory(prefix="hpi-child-") as tmp:
            out, err = os.path.join(tmp, "out"), os.path.join(tmp, "err")
            waiter = [threading.Event(), None]
            with self._lock:
                if self._gone:
                    raise OSError("the fork server has ended")
                self._next += 1
                request = self._next
                self._waiting[request] = waiter
                line = json.dumps({"id": request, "args": [str(a) for a in args], "env": env,
                                   "cwd": str(cwd or os.getcwd()), "out": out, "err": err})
                self.proc.stdin.write(line.encode() + b"\n")
                self.proc.stdin.flush()
            waiter[0].wait()
            if waiter[1] is None:
                raise OSError("the fork server ended before its child reported")
            return subprocess.CompletedProcess(list(args), waiter[1], _read_bytes(out), _read_bytes(err))

    def _read(self) -> None:
        for line in self.proc.stdout:
            answer = json.loads(line)
            with self._lock:
                waiter = self._waiting.pop(answer["id"])
            waiter[1] = answer["returncode"]
            waiter[0].set()
        with self._lock:  # the server is gone: nobody waits forever
            self._gone = True
            for waiter in self._waiting.values():
                waiter[0].set()
            self._waiting.clear()

    def close(self) -> None:
        """No new children (their callers start them fresh); the running ones finish first."""
        with self._lock:
            self._gone = True
            if not self.proc.stdin.closed:
                self.proc.stdin.close()
        self.proc.wait()


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


MAX_SERVERS = 6  # each holds its imports (paddle's about 0.25 GB, PaddleX's 0.6); the least recently used goes
_servers: dict[tuple, ForkServer] = {}
_servers_lock = threading.Lock()


def server_for(env: dict, python=sys.executable, preload=PRELOAD, import_time=IMPORT_TIME_PREFIXES):
    """The running server for this interpreter, preload and import-time environment (started if none), or None
    where fork is not available or $HPI_FORKSERVER is 0."""
    if os.environ.get("HPI_FORKSERVER", "1") == "0" or not hasattr(os, "fork"):
        return None
    frozen = tuple(sorted((k, v) for k, v in env.items() if k.startswith(tuple(import_time))))
    key = (str(python), tuple(preload), frozen)
    with _servers_lock:
        server = _servers.pop(key, None)
        if server is None or server.proc.poll() is not None:
            import atexit

            server = ForkServer(python, preload, env)
            atexit.register(server.close)
        _servers[key] = server  # most recently used last
        while len(_servers) > MAX_SERVERS:
            _servers.pop(next(iter(_servers))).close()
        return server


def run_python(args: list, env: dict | None = None, cwd=None, text: bool = True, python=sys.executable,
               preload=PRELOAD, import_time=IMPORT_TIME_PREFIXES) -> subprocess.CompletedProcess:
    """`subprocess.run([python, *args], env=env, cwd=cwd, capture_output=True, text=text)`, forked from a server
    where it can be."""
    env = dict(os.environ if env is None else env)
    server = server_for(env, python, preload, import_time)
    done = None
    if server is not None:
        try:
            done = server.run(args, env=env, cwd=cwd)
        except OSError:
            pass  # the server died: this child starts fresh
    if done is None:
        done = subprocess.run([str(python), *map(str, args)], env=env, cwd=cwd, capture_output=True)
    if text:
        done.stdout = done.stdout.decode("utf-8", errors="replace")
        done.stderr = done.stderr.decode("utf-8", errors="replace")
    return done


# --- the server --------------------------------------------------------------------------------------------


def _serve(preload: list[str]) -> None:
    import warnings

    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)  # a library that prints at import must not write into the protocol
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # paddle's import-time notices
        for name in preload:
            try:
                __import__(name)
            except Exception:  # noqa: BLE001  (not installed here: its children import it themselves)
                pass
    stdin = sys.stdin.fileno()
    pending, children, done = b"", {}, False
    while not done or children:
        ready = select.select([stdin], [], [], 0.02 if children else None)[0] if not done else []
        if ready:
            data = os.read(stdin, 1 << 16)
            done = not data
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    os.close(protocol.fileno())
                    _child(request, devnull)
                children[pid] = request["id"]
        elif done:
            pid, status = os.wait()
            protocol.write(json.dumps({"id": children.pop(pid), "returncode": _returncode(status)}) + "\n")
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            protocol.write(json.dumps({"id": children.pop(pid), "returncode": _returncode(status)}) + "\n")


def _returncode(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _child(request: dict, devnull: int) -> None:
    """Run the request as `python ARGS` would, then leave (never returns into the server's loop)."""
    import runpy
    import traceback

    code = 1
    try:
        out = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        err = os.open(request["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])  # its import-time variables are the server's own (server_for)
        args = request["args"]
        try:
            if args[0] == "-c":
                sys.argv = ["-c", *args[2:]]
                sys.path.insert(0, "")
                exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
            elif args[0] == "-m":
                sys.argv = [args[1], *args[2:]]
                runpy.run_module(args[1], run_name="__main__", alter_sys=True)
            else:  # a script
                sys.argv = list(args)
                sys.path.insert(0, os.path.dirname(os.path.abspath(args[0])))
                runpy.run_path(args[0], run_name="__main__")
            code = 0
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except BaseException:  # noqa: BLE001  (as the interpreter does: the traceback on stderr, exit 1)
            traceback.print_exc()
            code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


if __name__ == "__main__":
    _serve(sys.argv[1:])

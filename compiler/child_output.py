"""A failed child process's output (paddle2onnx, OpenVINO's converter, Paddle Inference) as one line.

The compiler runs these tools in child processes because they can abort the interpreter; their
output is pages of logs, and the one-line error needs the line that says why.
"""

from __future__ import annotations

MAX_CHARS = 300  # one terminal line or two; longer lines are tensor dumps


def last_error_line(output: str, fallback: str = "", *, summary: str | None = None,
                    marker: str | None = None) -> str:
    """The first line containing `summary` (a tool's own verdict, printed before its details), else the
    last containing `marker`, else the last non-blank line; `fallback` when there is none."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    found = (next((line for line in lines if summary in line), None) if summary else None) \
        or (next((line for line in reversed(lines) if marker in line), None) if marker else None) \
        or (lines[-1] if lines else fallback)
    return found[:MAX_CHARS]

"""`hpi serve BUNDLE`: PaddleX's basic serving API over a bundle (app.py, routes.py, files.py);
`pip install 'hpi-aot[serve]'` where it runs."""

from __future__ import annotations


def serve(pipeline, host: str, port: int, limits=None, visualize: bool = True) -> None:
    """Serve an opened Pipeline until SIGTERM / Ctrl-C; in-flight requests finish first (graceful)."""
    import uvicorn

    from hpi.runtime_min.serving.app import Limits, create_app

    limits = limits or Limits()
    app = create_app(pipeline, limits, visualize)
    config = uvicorn.Config(app, host=host, port=port, log_level="info", lifespan="on",
                            timeout_graceful_shutdown=limits.graceful_timeout)
    server = uvicorn.Server(config)

    def draining(sig, frame):  # readiness goes 503 at the signal, before the connections drain
        app.state.serving["ready"] = False
        original(sig, frame)

    original = server.handle_exit
    server.handle_exit = draining
    server.run()

"""`hpi serve BUNDLE`: PaddleX 3.7.2's basic serving API over a bundle (FastAPI on uvicorn), so PaddleX's
client code works unchanged, with what a production endpoint needs and PaddleX's leaves out.

PaddleX's surface (serving/basic_serving/_app.py): `GET /health` -> {logId, errorCode 0, errorMsg "Healthy"};
the pipeline's route (routes.py, e.g. `POST /ocr`) answers {logId, errorCode 0, errorMsg "Success", result};
an error answers {logId, errorCode = HTTP status, errorMsg} (422 for a bad request, with pydantic's errors as
JSON for a malformed one).

Added: `GET /health/ready` (200 once the models are loaded, 503 while draining on shutdown), `GET /metrics`
(Prometheus: requests by route and code, latency and model-time histograms, queue depth, in flight), a
bounded admission queue (`workers` inferences at a time, at most `max_queue` waiting; past that 503 at once,
never unbounded memory), a request body cap (413), a per-request time limit (504; the inference finishes in
its worker and only then frees the slot), and on SIGTERM / Ctrl-C uvicorn's graceful shutdown: no new
connections, in-flight requests finish (up to `graceful_timeout` seconds).
"""


import asyncio
import contextlib
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from hpi.runtime_min.serving.files import RequestError

__all__ = ["Limits", "create_app"]


@dataclass(frozen=True)
class Limits:
    workers: int = 1  # inferences at a time (each model already uses the CPU threads it was given)
    max_queue: int = 16  # requests waiting for a worker; one more gets 503
    max_body_bytes: int = 32 * 1024 * 1024
    request_timeout: float = 60.0  # seconds from admission to answer; past it 504
    url_timeout: float = 30.0  # seconds to fetch a `file` given as URL
    graceful_timeout: float = 30.0  # seconds in-flight requests get on shutdown


def log_id() -> str:
    return str(uuid.uuid4())


class Admission:
    """`workers` inference slots and a waiting room of `max_queue`; `run(func)` runs func in a worker thread."""

    def __init__(self, limits: Limits, metrics):
        self.limits, self.metrics = limits, metrics
        self._slots = asyncio.Semaphore(limits.workers)
        self._pool = ThreadPoolExecutor(limits.workers, thread_name_prefix="hpi-serve")
        self.waiting = 0

    async def run(self, func):
        if self._slots.locked() and self.waiting >= self.limits.max_queue:
            raise RequestError(503, f"server busy: {self.waiting} requests already waiting; retry later")
        self.waiting += 1
        self.metrics.queue_depth.set(self.waiting)
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
            self.metrics.queue_depth.set(self.waiting)
        future = asyncio.get_running_loop().run_in_executor(self._pool, self._timed(func))
        future.add_done_callback(lambda _: self._slots.release())  # a timed-out inference keeps its slot
        self.metrics.in_flight.inc()
        future.add_done_callback(lambda _: self.metrics.in_flight.dec())
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.limits.request_timeout)
        except asyncio.TimeoutError:
            raise RequestError(504, f"inference took over {self.limits.request_timeout:g} s") from None

    def _timed(self, func):
        def timed():
            start = time.perf_counter()
            try:
                return func()
            finally:
                self.metrics.model_seconds.observe(time.perf_counter() - start)
        return timed

    def close(self) -> None:
        self._pool.shutdown(wait=True)


class Metrics:
    """Prometheus series of one app (its own registry: two apps in one process do not mix)."""

    def __init__(self):
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter("hpi_requests", "requests answered", ["route", "code"], registry=self.registry)
        self.latency = Histogram("hpi_request_seconds", "time from request to answer", ["route"],
                                 registry=self.registry)
        self.model_seconds = Histogram("hpi_model_seconds", "time in the pipeline per request",
                                       registry=self.registry)
        self.queue_depth = Gauge("hpi_queue_depth", "requests waiting for a worker", registry=self.registry)
        self.in_flight = Gauge("hpi_in_flight", "inferences running", registry=self.registry)


def _limit_body(app, max_bytes: int):
    """ASGI middleware: a body over `max_bytes` (by Content-Length or as it streams) gets 413, unread."""
    async def middleware(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            return await _send_error(send, 413, f"request body over {max_bytes} bytes")
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                raise RequestError(413, f"request body over {max_bytes} bytes")
            return message

        return await app(scope, counted, send)
    return middleware


async def _send_error(send, status: int, message: str) -> None:
    body = json.dumps({"logId": log_id(), "errorCode": status, "errorMsg": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def route_for(pipeline_name: str):
    """PaddleX's route for the pipeline (routes.py: OCR and vision, documents.py: the document pipelines)."""
    from hpi.core.errors import UsageError
    from hpi.runtime_min.serving import documents, routes

    served = {**routes.ROUTES, **documents.ROUTES}
    if pipeline_name not in served:
        raise UsageError(f"hpi serve: the {pipeline_name} pipeline has no PaddleX serving route in hpi yet "
                         f"(served: {', '.join(served)}); run it with hpi-run or the Python API")
    return served[pipeline_name]


def create_app(pipeline, limits: Limits = Limits(), visualize: bool = True):
    """The FastAPI app serving `pipeline` (an opened hpi Pipeline) under PaddleX's route for its pipeline."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
    from starlette.exceptions import HTTPException

    route = route_for(pipeline.bundle.contents.pipeline.name)
    metrics = Metrics()
    state = {"ready": False}

    @contextlib.asynccontextmanager
    async def lifespan(app):
        app.state.admission = Admission(limits, metrics)
        state["ready"] = True
        try:
            yield
        finally:
            state["ready"] = False
            app.state.admission.close()

    app = FastAPI(title=f"hpi serve: {route.path}", lifespan=lifespan)
    app.state.serving = state

    def error(status: int, message: str, request_log_id: str | None = None) -> JSONResponse:
        return JSONResponse({"logId": request_log_id or log_id(), "errorCode": status, "errorMsg": message},
                            status_code=status)

    @app.exception_handler(RequestError)
    async def _request_error(request: Request, exc: RequestError):
        return error(exc.status, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [{"type": e["type"], "loc": ".".join(str(x) for x in e["loc"]), "msg": e["msg"]}
                  for e in exc.errors()]
        return error(422, json.dumps(errors))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        return error(exc.status_code, str(exc.detail))

    @app.get("/health")
    async def health():
        return {"logId": log_id(), "errorCode": 0, "errorMsg": "Healthy"}

    @app.get("/health/ready")
    async def ready():
        if not state["ready"]:
            return error(503, "not ready (starting or shutting down)")
        return {"logId": log_id(), "errorCode": 0, "errorMsg": "Ready"}

    @app.get("/metrics")
    async def prometheus():
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.post(route.path)
    async def infer(request: route.request_model):
        start, code = time.perf_counter(), 200
        request_log_id = getattr(request, "logId", None) or log_id()  # routes whose schema has none make one up
        try:
            result = await route.handle(pipeline, request, app.state.admission, limits, visualize)
            return {"logId": request_log_id, "errorCode": 0, "errorMsg": "Success", "result": result}
        except RequestError as exc:
            code = exc.status
            return error(exc.status, exc.message, request_log_id)
        except Exception as exc:  # noqa: BLE001 - PaddleX answers 500 with the message, the server keeps serving
            code = 500
            return error(500, f"{type(exc).__name__}: {exc}", request_log_id)
        finally:
            metrics.requests.labels(route.path, str(code)).inc()
            metrics.latency.labels(route.path).observe(time.perf_counter() - start)

    asgi = _limit_body(app, limits.max_body_bytes)
    asgi.state = app.state  # the serving state, for `serve` and tests
    return asgi

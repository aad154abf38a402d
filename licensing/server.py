"""`hpi-license serve`: the license server (FastAPI on uvicorn; `pip install 'hpi-aot[server]'`).

    GET  /v1/health      {"status": "ok", "issuer": key id, "database": engine, "exchange_key": X25519 public}
    POST /v1/activate    {serial, fingerprint, machine_key}     → {"certificate": "<file text>"}
    POST /v1/deactivate  {serial, fingerprint, machine_key, at, proof} → {"serial", "seat"}
                         (proof: crypto.possession_proof with the seat's machine key, issuer.deactivate)
    admin (header `Authorization: Bearer <token>`):
    POST /v1/admin/products  {name, pipelines, expires, seats}  → the product (without its content key)
    POST /v1/admin/serials   {product, count, note}             → {"serials": [...]}
    GET  /v1/admin/serials?product=P                            → {"serials": [...]}
    POST /v1/admin/revoke    {serial, reason}
    POST /v1/admin/transfer  {serial, fingerprint, machine_key, reason} → {"certificate": ...}
    GET  /v1/admin/audit?serial=S&limit=N                       → {"audit": [...]}

Refusals are `{"error": <core.errors class name>, "message": <one line>}` with a 4xx status; the
client raises the same class with the same message.

Rate limit: activation and deactivation attempts per client IP, a sliding window kept in memory (so it
resets on restart, and each server process of a cluster counts alone: put a shared limiter in the
reverse proxy for those). Behind a reverse proxy on this host, `--trust-proxy` takes the client address
from X-Forwarded-For; without it every client would share the proxy's budget.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import hmac
import threading
import time

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from hpi.licensing import issuer
from hpi.licensing.crypto import exchange_key_from_issuer, raw_x25519_public
from hpi.licensing.db import Database
from hpi.core.signing import key_id
from hpi.core.errors import FingerprintMismatch, HpiError, LicenseExpired, SerialBoundElsewhere, \
    UnknownSerial, UsageError, WrongProduct

_STATUS = {UnknownSerial: 404, SerialBoundElsewhere: 409, FingerprintMismatch: 409, WrongProduct: 409,
           LicenseExpired: 403, UsageError: 422}


class RateLimiter:
    """At most `limit` attempts per client in any `window` seconds."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self._hits: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try again (0: allowed now, and counted)."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits[client]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            if len(self._hits) > 100_000:  # forget idle clients so memory stays bounded
                for key in [k for k, v in self._hits.items() if not v]:
                    del self._hits[key]
            return 0.0


class Activation(BaseModel):
    serial: str
    fingerprint: dict
    machine_key: str
    product: str | None = None  # the product the device needs; another serial's product is refused unbound


class Deactivation(BaseModel):
    serial: str
    fingerprint: dict
    machine_key: str
    at: str  # when the proof was made, "YYYY-MM-DDTHH:MM:SSZ"
    proof: str  # crypto.possession_proof over crypto.deactivation_message(serial, machine_key, at)


class NewProduct(BaseModel):
    name: str
    pipelines: list[str]
    expires: dt.date
    seats: int = Field(1, ge=1, le=issuer.MAX_SEATS)


class NewSerials(BaseModel):
    product: str
    count: int = Field(1, ge=1, le=10_000)
    note: str = ""


class Revocation(BaseModel):
    serial: str
    reason: str = ""


class Transfer(Activation):
    reason: str


def _refusal(status: int, error: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


def create_app(db_url: str | None, issuer_key_path=None, admin_token: str | None = None,
               rate_limit: int = 30, rate_window: float = 60.0) -> FastAPI:
    db = Database(db_url)
    key = issuer.load_issuer_key(issuer_key_path)
    limiter = RateLimiter(rate_limit, rate_window)
    exchange_public = base64.b64encode(raw_x25519_public(exchange_key_from_issuer(key).public_key())).decode()
    app = FastAPI(title="hpi license server", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(HpiError)
    def _hpi_error(request: Request, exc: HpiError):
        status = next((s for cls, s in _STATUS.items() if isinstance(exc, cls)), 400)
        return _refusal(status, type(exc).__name__, str(exc))

    @app.exception_handler(RequestValidationError)
    def _bad_request(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors())
        return _refusal(422, "UsageError", f"malformed request: {problems}")

    @app.exception_handler(HTTPException)
    def _http_error(request: Request, exc: HTTPException):
        # Starlette's own refusals (an unparsable or too deeply nested body, an unknown route) in the
        # documented shape, not FastAPI's {"detail": ...}.
        error = "UsageError" if exc.status_code < 500 else "LicenseServerError"
        return _refusal(exc.status_code, error, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    def _internal(request: Request, exc: Exception):
        return _refusal(500, "LicenseServerError", "internal error; the server's log has the details")

    def client(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def rate_limited(request: Request) -> str:
        who = client(request)
        wait = limiter.retry_after(who)
        if wait:
            raise _RateLimited(who, wait, limiter)
        return who

    def admin(request: Request) -> str:
        if not admin_token:
            raise _Unauthorized(403, "admin endpoints are disabled: start the server with --admin-token "
                                     "or $HPI_LICENSE_ADMIN_TOKEN")
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {admin_token}".encode()):
            raise _Unauthorized(401, "admin endpoints need the header 'Authorization: Bearer <admin token>'")
        return f"admin@{client(request)}"

    @app.exception_handler(_RateLimited)
    def _too_many(request: Request, exc: _RateLimited):
        return _refusal(429, "LicenseServerError",
                        f"too many activation attempts from {exc.client}: at most {exc.limiter.limit} per "
                        f"{exc.limiter.window:g} s; retry in {exc.wait:.0f} s",
                        {"Retry-After": str(max(1, round(exc.wait)))})

    @app.exception_handler(_Unauthorized)
    def _unauthorized(request: Request, exc: _Unauthorized):
        return _refusal(exc.status, "Unauthorized", exc.message, {"WWW-Authenticate": "Bearer"})

    @app.get("/v1/health")
    def health():
        with db.transaction() as tx:
            tx.one("SELECT 1 AS ok")
        return {"status": "ok", "issuer": key_id(key.public_key()), "database": db.engine,
                "exchange_key": exchange_public}

    @app.post("/v1/activate")
    def activate(body: Activation, who: str = Depends(rate_limited)):
        cert = issuer.activate(db, key, body.serial, body.fingerprint, body.machine_key, client=who,
                              product=body.product)
        return {"certificate": cert.decode()}

    @app.post("/v1/deactivate")
    def deactivate(body: Deactivation, who: str = Depends(rate_limited)):
        seat = issuer.deactivate(db, key, body.serial, body.fingerprint, body.machine_key, body.at, body.proof,
                                 client=who)
        return {"serial": body.serial, "seat": seat}

    @app.post("/v1/admin/products")
    def new_product(body: NewProduct, who: str = Depends(admin)):
        product = issuer.create_product(db, body.name, body.pipelines, body.expires, body.seats, client=who)
        return {k: v for k, v in product.items() if k != "content_key"}

    @app.post("/v1/admin/serials")
    def new_serials(body: NewSerials, who: str = Depends(admin)):
        return {"serials": issuer.create_serials(db, body.product, body.count, body.note, client=who)}

    @app.get("/v1/admin/serials")
    def serials(product: str | None = None, who: str = Depends(admin)):
        return {"serials": issuer.list_serials(db, product)}

    @app.post("/v1/admin/revoke")
    def revoke(body: Revocation, who: str = Depends(admin)):
        issuer.revoke(db, body.serial, body.reason, client=who)
        return {"serial": body.serial, "revoked": True}

    @app.post("/v1/admin/transfer")
    def transfer(body: Transfer, who: str = Depends(admin)):
        cert = issuer.transfer(db, key, body.serial, body.fingerprint, body.machine_key, client=who,
                               reason=body.reason)
        return {"certificate": cert.decode()}

    @app.get("/v1/admin/audit")
    def audit(serial: str | None = None, limit: int = Query(200, ge=1, le=10_000), who: str = Depends(admin)):
        return {"audit": issuer.audit_log(db, serial, limit)}

    return app


class _RateLimited(Exception):
    def __init__(self, client: str, wait: float, limiter: RateLimiter):
        self.client, self.wait, self.limiter = client, wait, limiter


class _Unauthorized(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message


def serve(db_url: str | None, host: str, port: int, *, issuer_key_path=None, admin_token: str | None = None,
          rate_limit: int = 30, rate_window: float = 60.0, trust_proxy: bool = False) -> None:
    import uvicorn

    app = create_app(db_url, issuer_key_path, admin_token, rate_limit, rate_window)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                proxy_headers=trust_proxy, forwarded_allow_ips="127.0.0.1" if trust_proxy else None)

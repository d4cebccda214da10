"""The FastAPI application every service builds on: lifespan (database, broker, Redis), health, readiness, metrics,
error shapes and middleware. A service adds only its routers."""
import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator, Awaitable, Callable

import redis.asyncio as redis_async
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from bihuan_shared.auth.tokens import TokenVerifier
from bihuan_shared.bus.connection import connect
from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.events.limits import EventTooLarge
from bihuan_shared.logging import correlation_id
from bihuan_shared.settings import ServiceSettings, check_secret
from bihuan_shared.web.data_errors import data_exception_reason
from bihuan_shared.web.errors import DomainError
from bihuan_shared.web.json_body import body_parse_error, check_json_body
from bihuan_shared.web.limits import BodySizeLimit
from bihuan_shared.web.middleware import CorrelationAndMetrics, NoSniff
from bihuan_shared.web.ratelimit import limiter_client
from bihuan_shared.web.readiness import Readiness
from bihuan_shared.web.write_budget import write_budget
from bihuan_shared.web import sheet_limits
from bihuan_shared.web.audit_routes import audit_router

log = logging.getLogger(__name__)

Hook = Callable[[FastAPI], Awaitable[None]]


def build_app(settings: ServiceSettings, *, title: str, routers: list[APIRouter], version: str = "0.1.0",
              on_startup: list[Hook] = (), on_shutdown: list[Hook] = ()) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        check_secret(settings)  # before anything listens: a public secret means anyone can forge a token
        app.state.settings = settings
        app.state.engine = make_engine(settings.database_url, settings.db_pool_size, audit_key=settings.audit_key)
        app.state.sessionmaker = make_sessionmaker(app.state.engine)
        app.state.redis = redis_async.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
        app.state.rate_redis = limiter_client(settings.redis_url)
        app.state.token_verifier = TokenVerifier(settings)
        app.state.readiness = Readiness(settings.database_url, settings.readiness_cache_seconds,
                                        settings.readiness_probe_timeout_seconds)
        app.state.amqp = None
        broker_task = asyncio.create_task(_connect_broker(app, settings))
        for hook in on_startup:
            await hook(app)
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook(app)
            broker_task.cancel()
            if app.state.amqp is not None:
                await app.state.amqp.close()
            await app.state.readiness.close()
            await app.state.redis.aclose()
            await app.state.rate_redis.aclose()
            await app.state.engine.dispose()

    # On every route: the write budget first (a flood is refused before anything else is looked at), then the
    # checks of the parsed JSON body.
    app = FastAPI(title=title, version=version, lifespan=lifespan,
                  dependencies=[Depends(write_budget), Depends(check_json_body)])
    sheet_limits.configure(settings)
    # Inner to the correlation middleware, so a refused body still carries its correlation id.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, per_prefix=settings.body_limits,
                       max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(CorrelationAndMetrics, service=settings.service_name)
    app.add_middleware(NoSniff)
    _add_error_handlers(app)
    app.include_router(_ops_router())
    app.include_router(audit_router(), prefix="/api/v1")
    for router in routers:
        app.include_router(router, prefix="/api/v1")
    return app


async def _connect_broker(app: FastAPI, settings: ServiceSettings) -> None:
    """The API keeps one robust connection only to answer /readyz honestly; it publishes through the outbox."""
    while True:
        try:
            app.state.amqp = await connect(settings.amqp_url, f"{settings.service_name}-api")
            return
        except Exception as exc:
            log.warning("broker not reachable yet", extra={"error": repr(exc)})
            await asyncio.sleep(2)


def _ops_router() -> APIRouter:
    router = APIRouter(tags=["ops"])

    @router.get("/healthz")
    async def healthz() -> dict:
        """The process is alive."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """The service's database and the broker are reachable (probed at most once a second, see web.readiness)."""
        checks = await request.app.state.readiness.checks(request.app.state.amqp)
        ok = all(checks.values())
        return JSONResponse({"status": "ready" if ok else "not_ready", "checks": checks}, status_code=200 if ok else 503)

    @router.get("/metrics")
    async def metrics() -> PlainTextResponse:
        """Prometheus metrics of this process."""
        return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)

    return router


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        body = {"error": exc.code, "message": exc.message, "correlation_id": correlation_id.get()}
        if exc.details is not None:
            body["details"] = exc.details
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if getattr(exc, "headers", None):  # e.g. Retry-After of a rate limit
            headers = {**(headers or {}), **exc.headers}
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's and FastAPI's own refusals (unknown path, method, an unreadable body) in the kit's shape too.
        if exc.status_code == 400 and exc.__cause__ is not None:  # FastAPI could not parse the body
            return await domain_error(request, body_parse_error(exc.__cause__))
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = {404: "请求的地址不存在", 405: "该地址不支持此请求方法"}.get(exc.status_code, str(exc.detail))
        return JSONResponse({"error": code, "message": message, "correlation_id": correlation_id.get()},
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Every problem names its field path (e.g. body.milestones.2.due_date) so a client can point at it.
        details = [
            {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"], "type": err["type"]}
            for err in exc.errors()
        ]
        return JSONResponse({"error": "validation_failed", "message": "请求数据校验失败", "details": details,
                             "correlation_id": correlation_id.get()}, status_code=422)

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        reason = data_exception_reason(exc)
        if reason is None:
            return await unexpected(request, exc)
        log.info("request refused by the database as data", extra={"reason": reason[:300]})
        return JSONResponse({"error": "value_not_storable", "message": "请求中有无法保存的值（如超出范围的整数、含 NUL 字符的文本）",
                             "details": [{"field": "request", "message": reason[:300]}],
                             "correlation_id": correlation_id.get()}, status_code=422)

    @app.exception_handler(EventTooLarge)
    async def event_too_large(_: Request, exc: EventTooLarge) -> JSONResponse:
        # The change would publish an event over the cap: its transaction rolled back, nothing was stored.
        return JSONResponse({"error": "event_too_large", "message": "此次更改产生的事件超过大小上限，未保存任何内容，请减少单次提交的内容",
                             "details": [{"field": "request", "message": str(exc)[:300]}],
                             "correlation_id": correlation_id.get()}, status_code=413)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse({"error": "internal", "message": "服务内部错误，请联系管理员",
                             "correlation_id": correlation_id.get()}, status_code=500)

"""Correlation ids, request metrics and security headers for every HTTP request (pure ASGI, so streaming responses
are untouched)."""
import time
import uuid

from starlette.types import ASGIApp, Receive, Scope, Send

from bihuan_shared.logging import correlation_id
from bihuan_shared.metrics import HTTP_LATENCY, HTTP_REQUESTS


class CorrelationAndMetrics:
    def __init__(self, app: ASGIApp, service: str):
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        cid = headers.get(b"x-correlation-id", b"").decode("latin-1")[:100] or uuid.uuid4().hex
        token = correlation_id.set(cid)
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"x-correlation-id", cid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            HTTP_REQUESTS.labels(self.service, scope["method"], path, str(status["code"])).inc()
            HTTP_LATENCY.labels(self.service, scope["method"], path).observe(time.perf_counter() - started)
            correlation_id.reset(token)


class NoSniff:
    """`X-Content-Type-Options: nosniff` on every response: a browser must not run an evidence file uploaded as
    text/plain (or anything else) as HTML or script because its bytes look like it."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message):
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                if not any(name.lower() == b"x-content-type-options" for name, _ in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))
            await send(message)

        await self.app(scope, receive, send_with_header)

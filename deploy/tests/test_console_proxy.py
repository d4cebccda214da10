"""Issue 12 #12: the console's reverse proxy reaches only the services' /api/v1/ — an encoded `../` (`..%2F`,
`%2e%2e/`, `..%5C`) once took it to /metrics and /openapi.json — and carries neither the console's cookies to a
service nor a service's Set-Cookie back. The upstream here is a recording ASGI app in the proxy's client."""
import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bihuan_local.console_server import create_app

seen: list[dict] = []


async def record(request: Request) -> JSONResponse:
    seen.append({"path": request.url.path, "query": request.url.query, "headers": dict(request.headers)})
    response = JSONResponse({"path": request.url.path})
    response.set_cookie("upstream_session", "s3cret")
    return response


UPSTREAM = Starlette(routes=[Route("/{path:path}", record, methods=["GET", "POST"])])


@pytest.fixture
async def console():
    app = create_app()  # its lifespan is not run by the test transport: the proxy's client is the recording one
    app.state.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=UPSTREAM))
    seen.clear()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console") as client:
        yield client
    await app.state.client.aclose()


async def test_api_paths_are_forwarded_below_api_v1(console):
    r = await console.get("/api/planning/targets/T-1/milestones", params={"year": "2026"})
    assert r.status_code == 200 and seen[-1]["path"] == "/api/v1/targets/T-1/milestones"
    assert seen[-1]["query"] == "year=2026"


@pytest.mark.parametrize("path", [
    "..%2Fmetrics", "..%2fopenapi.json", "%2e%2e/metrics", "%2E%2E%2Fmetrics", "..%5Cmetrics",
    "targets%2F..%2F..%2Fmetrics", ".%2E/metrics", "targets/%2e%2e/%2e%2e/metrics",
])
async def test_nothing_escapes_api_v1(console, path):
    r = await console.get(f"/api/planning/{path}")
    assert r.status_code == 400 and r.json()["code"] == "path_refused", (path, r.text, seen)
    assert seen == []


async def test_dot_segments_sent_raw_are_refused(console):
    # httpx would normalise "/../" itself; a raw client (curl --path-as-is) sends it as is
    for path in ("/api/planning/../metrics", "/api/planning/targets/../../openapi.json", "/api/planning/a//b"):
        status, body = await _raw_get(console, path)
        assert status == 400 and b"path_refused" in body, path
    assert seen == []


async def test_cookies_go_neither_up_nor_down(console):
    r = await console.get("/api/execution/evidence", headers={"Cookie": "console_session=abc; other=1",
                                                             "Authorization": "Bearer t"})
    assert r.status_code == 200
    assert "cookie" not in seen[-1]["headers"] and seen[-1]["headers"]["authorization"] == "Bearer t"
    assert "set-cookie" not in r.headers and not r.cookies


async def _raw_get(console: httpx.AsyncClient, path: str) -> tuple[int, bytes]:
    """GET with the path exactly as given, straight into the console's ASGI app."""
    app = console._transport.app
    messages, done, asked = [], asyncio.Event(), []

    async def receive():
        if not asked:
            asked.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # a streaming response listens for the client going away until it has finished
        return {"type": "http.disconnect"}

    async def send(message):
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"console")], "client": ("127.0.0.1", 1), "server": ("console", 80)}
    await app(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")

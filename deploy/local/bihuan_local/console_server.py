"""The console's one web address: serves the built web app (console/dist), reverse-proxies /api/<service>/... to
the four services so the browser talks to a single origin, and offers a development login that mints a token for
a chosen role, unit and scope, only in development (BIHUAN_ENV=development, set by the launcher) and, unless
BIHUAN_CONSOLE_DEV_LOGIN=true says otherwise, only while the console listens on loopback.
Run: `python -m bihuan_local.console_server` (the launcher starts it)."""
import contextlib
import ipaddress
import logging
import os
import re
from pathlib import Path
from urllib.parse import unquote

import httpx
import uvicorn
from pydantic import BaseModel, Field, ValidationError
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from bihuan_local.catalog import SERVICES
from bihuan_shared.auth.claims import CODE
from bihuan_shared.auth.principal import Role
from bihuan_shared.auth.tokens import mint_token
from bihuan_shared.settings import ServiceSettings

log = logging.getLogger("bihuan.console")

DIST = Path(os.environ.get("BIHUAN_CONSOLE_DIST", Path(__file__).resolve().parents[3] / "console" / "dist"))
# Hop-by-hop headers must not be forwarded by a proxy (RFC 9110 §7.6.1); length/encoding are recomputed.
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
       "transfer-encoding", "upgrade", "host", "content-length", "content-encoding"}
# The services authenticate by bearer token only: the console's cookies are none of theirs, and a service must not
# set cookies on the console's origin.
NOT_FORWARDED = HOP | {"cookie"}
NOT_RETURNED = HOP | {"set-cookie"}
# Percent-encoded "/", "\" and "." have no business in an API path: they only serve to smuggle a "../" past a check.
ENCODED_SEPARATORS = re.compile(r"%(2f|5c|2e)", re.IGNORECASE)


def console_host() -> str:
    return os.environ.get("BIHUAN_CONSOLE_HTTP_HOST", "127.0.0.1")


def console_port() -> int:
    return int(os.environ.get("BIHUAN_CONSOLE_HTTP_PORT", "8100"))


def claim_console_port() -> int:
    """The configured port, or (when the default 8100 is taken, e.g. by a developer's `make up` while tests run)
    a free one, exported so the console process and the banner agree."""
    import socket

    if "BIHUAN_CONSOLE_HTTP_PORT" not in os.environ:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", 8100))
                port = 8100
            except OSError:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        os.environ["BIHUAN_CONSOLE_HTTP_PORT"] = str(port)
    return console_port()


CODE_PATTERN = f"^{CODE.pattern}$"  # pydantic searches a pattern; a code must match whole


class DevLogin(BaseModel):
    role: Role
    unit: str | None = Field(default=None, pattern=CODE_PATTERN)
    # A concrete scope code as tokens require (claims.CODE: never `*`), but not necessarily a registered one: a new
    # office logs in to its own unregistered scope to register it on the 辖区 page.
    scope: str = Field(default="demo", pattern=CODE_PATTERN)
    name: str | None = Field(default=None, max_length=100)
    leader: str | None = Field(default=None, pattern=CODE_PATTERN, description="a leader's code: the leader signs as it")


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def dev_login_enabled() -> bool:
    """Dev login mints any role with the shared secret, so it exists only in development, never beside an identity
    provider, and on a non-loopback address only when BIHUAN_CONSOLE_DEV_LOGIN=true asks for it."""
    if not ServiceSettings().development:
        return False
    explicit = os.environ.get("BIHUAN_CONSOLE_DEV_LOGIN")
    if explicit is not None:
        return explicit.lower() == "true"
    return not os.environ.get("BIHUAN_OIDC_AUTHORIZE_URL") and _loopback(console_host())


async def dev_login(request: Request) -> Response:
    if not dev_login_enabled():  # not found rather than forbidden: outside development the route does not exist
        return JSONResponse({"code": "not_found", "message": "开发登录不可用，请使用统一身份认证登录"}, 404)
    try:
        body = DevLogin.model_validate(await request.json())
    except (ValidationError, ValueError) as exc:
        details = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]}
                   for e in getattr(exc, "errors", lambda: [])()]
        return JSONResponse({"code": "invalid", "message": "登录信息不完整", "details": details}, 422)
    if body.role == Role.UNIT_REPORTER and not body.unit:
        return JSONResponse({"code": "invalid", "message": "单位填报员须选择所属单位",
                             "details": [{"field": "unit", "message": "必填"}]}, 422)
    # A leader acts as the leader's own code (contracts are signed by, and dashboards keyed on, that code).
    user = body.leader if body.role == Role.LEADER and body.leader else f"{body.role.value}@{body.unit or body.scope}"
    token = mint_token(ServiceSettings(), user=user, roles=[body.role.value], unit=body.unit, scope=body.scope,
                       name=body.name or user)
    return JSONResponse({"token": token, "user": user, "name": body.name or user, "role": body.role.value,
                         "unit": body.unit, "scope": body.scope})


async def auth_config(request: Request) -> Response:
    oidc = os.environ.get("BIHUAN_OIDC_AUTHORIZE_URL")
    return JSONResponse({"dev_login": dev_login_enabled(), "oidc_authorize_url": oidc,
                         "oidc_client_id": os.environ.get("BIHUAN_OIDC_CLIENT_ID"),
                         "services": [s.name for s in SERVICES]})


def api_path(request: Request) -> str | None:
    """The path below the service's /api/v1/ to forward, still percent-encoded as the browser sent it; None when it
    could reach anything else (/metrics, /openapi.json, ...): an encoded separator or dot, a backslash, a "." or ".."
    segment, an empty one ("//")."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    raw_path = raw.decode("latin-1").partition("?")[0]
    prefix = f"/api/{request.path_params['service']}/"
    if not raw_path.startswith(prefix):
        return None
    rest = raw_path[len(prefix):]
    if ENCODED_SEPARATORS.search(rest) or "\\" in unquote(rest):
        return None
    segments = unquote(rest).split("/")
    if any(segment in (".", "..") for segment in segments) or "" in segments[:-1]:
        return None
    return rest


async def proxy(request: Request) -> Response:
    service = request.path_params["service"]
    upstream = {s.name: s.base_url() for s in SERVICES}.get(service)
    if upstream is None:
        return JSONResponse({"code": "unknown_service", "message": f"未知服务 {service}"}, 404)
    path = api_path(request)
    if path is None:
        return JSONResponse({"code": "path_refused", "message": "接口路径不合法：不得含编码的斜杠或点、反斜杠或 ../"}, 400)
    client: httpx.AsyncClient = request.app.state.client
    url = httpx.URL(f"{upstream}/api/v1/{path}", query=request.url.query.encode())
    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in NOT_FORWARDED]
    upstream_request = client.build_request(request.method, url, headers=headers, content=request.stream())
    try:
        answer = await client.send(upstream_request, stream=True)
    except httpx.HTTPError as exc:
        return JSONResponse({"code": "service_unavailable", "message": f"服务 {service} 暂不可用：{exc!r}"}, 502)
    out_headers = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in NOT_RETURNED]
    response = StreamingResponse(answer.aiter_raw(), status_code=answer.status_code,
                                 background=BackgroundTask(answer.aclose))
    for key, value in out_headers:
        response.headers.append(key, value)
    return response


async def spa(request: Request) -> Response:
    """Static files of the built app; any other path is a client-side route and gets index.html."""
    rel = request.path_params.get("path", "")
    candidate = (DIST / rel).resolve()
    if rel and candidate.is_file() and DIST.resolve() in candidate.parents:
        cache = "public, max-age=31536000, immutable" if rel.startswith("assets/") else "no-cache"
        return FileResponse(candidate, headers={"Cache-Control": cache})
    index = DIST / "index.html"
    if not index.is_file():
        return Response("控制台尚未构建：请在 console/ 目录运行 npm ci && npm run build", 503,
                        media_type="text/plain; charset=utf-8")
    return FileResponse(index, headers={"Cache-Control": "no-cache"})


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok", "dist": (DIST / "index.html").is_file()})


def create_app() -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        # No read timeout: the leader dashboard keeps a server-sent-events stream open.
        app.state.client = httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=None), follow_redirects=False)
        yield
        await app.state.client.aclose()

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    routes = [Route("/healthz", healthz), Route("/auth/config", auth_config),
              Route("/auth/dev-login", dev_login, methods=["POST"]),
              Route("/api/{service}/{path:path}", proxy, methods=methods),
              Route("/", spa), Route("/{path:path}", spa)]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s console | %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # per-request lines would flood `make up` (and leak tokens)
    print(f"console on http://{console_host()}:{console_port()}/ (dist: {DIST})", flush=True)
    uvicorn.run(create_app(), host=console_host(), port=console_port(), log_level="warning")


if __name__ == "__main__":
    main()

"""Request body size limit (pure ASGI): a body over the limit is refused with 413 and a clear message before the
route sees it, whether the client announced its size (Content-Length) or streams it (chunked).

build_app installs it in every service: settings.max_body_bytes for bodies parsed in memory (JSON, forms),
settings.max_upload_bytes for uploads (multipart, octet-stream), whose routes stream and bound their files themselves;
settings.body_limits sets another limit for a path prefix ({"/api/v1/targets": 1 MiB}); the longest prefix wins."""
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bihuan_shared.logging import correlation_id


UPLOADS = (b"multipart/form-data", b"application/octet-stream")


class _TooLarge(Exception):
    pass


def too_large_body(limit: int, received: int | None) -> bytes:
    size = f"{received} 字节" if received is not None else "超过上限"
    return json.dumps({
        "error": "body_too_large",
        "message": f"请求体过大：{size}，上限为 {limit} 字节（{limit // 1024} KiB）",
        "details": [{"field": "body", "message": f"最多 {limit} 字节"}],
        "correlation_id": correlation_id.get(),
    }, ensure_ascii=False).encode()


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, per_prefix: dict[str, int] | None = None,
                 max_upload_bytes: int | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes or max_bytes
        # Longest prefix first, so /api/v1/feeds/files can differ from /api/v1/feeds/.
        self.per_prefix = sorted((per_prefix or {}).items(), key=lambda kv: -len(kv[0]))

    def limit_for(self, path: str, content_type: bytes = b"") -> int:
        default = self.max_upload_bytes if content_type.startswith(UPLOADS) else self.max_bytes
        return next((limit for prefix, limit in self.per_prefix if path.startswith(prefix)), default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""), _header(scope, b"content-type").lower())
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit, declared)
            return
        received = 0
        state = {"started": False, "exceeded": False}

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    state["exceeded"] = True
                    raise _TooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            if state["exceeded"]:
                return  # whatever the app makes of the cut-off body, the client gets the 413
            state["started"] = state["started"] or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _TooLarge:
            pass
        except Exception:
            if not state["exceeded"]:
                raise
        if state["exceeded"] and not state["started"]:
            await _refuse(send, limit, None)


def _header(scope: Scope, wanted: bytes) -> bytes:
    return next((value for name, value in scope.get("headers") or [] if name == wanted), b"")


def _content_length(scope: Scope) -> int | None:
    try:
        return int(_header(scope, b"content-length"))
    except ValueError:
        return None


async def _refuse(send: Send, limit: int, received: int | None) -> None:
    body = too_large_body(limit, received)
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})

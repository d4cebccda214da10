"""JSON request bodies the kit refuses before a route sees them (issue 12 #12), each as 422 in the kit's error shape:

- nesting deeper than MAX_DEPTH arrays / objects (`body_invalid`): nothing the services accept is nested that deep,
  and a deep document costs recursion in every layer that walks it (past ~1000 levels the parser itself fails);
- NaN and Infinity (`validation_failed`, naming the field): Python's JSON parser accepts them, PostgreSQL's json
  does not, and no quantity of a target is infinite;
- a body the parser cannot read at all: not UTF-8, or too deep for the parser (`body_invalid`, see body_parse_error).

check_json_body is an app-wide dependency (build_app): it looks only at the JSON FastAPI has already parsed for the
route (Starlette keeps it on the request), so routes that read their bodies themselves (the feeds, uploads) pay
nothing, and a body is never parsed twice."""
import math

from fastapi import Request

from bihuan_shared.web.errors import DomainError, Invalid

MAX_DEPTH = 32


async def check_json_body(request: Request) -> None:
    if not hasattr(request, "_json"):  # Starlette's cache of request.json(): set only when FastAPI parsed JSON
        return
    problem = find_problem(request._json)
    if problem is None:
        return
    field, kind = problem
    if kind == "depth":
        raise Invalid(f"请求体嵌套过深：最多 {MAX_DEPTH} 层", code="body_invalid",
                      details=[{"field": field, "message": f"嵌套超过 {MAX_DEPTH} 层", "type": "too_deep"}])
    raise Invalid("请求数据校验失败", code="validation_failed",
                  details=[{"field": field, "message": "须为有限数值，不接受 NaN 或 Infinity", "type": "finite_number"}])


def find_problem(document) -> tuple[str, str] | None:
    """(field path, "depth" | "not_finite") of the first problem found, else None. Iterative: a deep document must
    not exhaust the stack of the check meant to refuse it."""
    stack = [(document, ("body",), 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                return ".".join(map(str, path)), "not_finite"
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            return ".".join(map(str, path)), "depth"
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            if isinstance(child, (dict, list, float)):
                stack.append((child, (*path, key), depth + 1))
    return None


def body_parse_error(cause: BaseException | None) -> DomainError:
    """What FastAPI's "There was an error parsing the body" (400 {"detail": ...}) was, as the kit's 422."""
    if isinstance(cause, UnicodeDecodeError):
        message, detail = "请求体不是合法的 UTF-8 文本", f"第 {cause.start} 字节起不是 UTF-8 编码"
    elif isinstance(cause, RecursionError):
        message, detail = f"请求体嵌套过深：最多 {MAX_DEPTH} 层", f"嵌套超过 {MAX_DEPTH} 层"
    else:
        message, detail = "请求体无法解析", "格式不正确（应为 JSON 或表单）"
    return Invalid(message, code="body_invalid", details=[{"field": "body", "message": detail}])

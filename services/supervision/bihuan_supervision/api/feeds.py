"""Feed endpoints: a batch of records from the hotline / service-window / three-center machine identity, and file
import (CSV, JSON lines, Excel) for backfill. Bad records are answered by index, field and reason; good ones stay.
A feed identity of a city sends the whole city's records: each is stored in the district it names (routing.py)."""
from typing import Annotated

from fastapi import APIRouter, Depends, Request, UploadFile

from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.errors import Forbidden, Invalid, NotFound, TooLarge
from bihuan_shared.web.ratelimit import rate_limit
from bihuan_supervision.api.feed_files import read_records
from bihuan_supervision.domain.feeds import SOURCES, FeedSource
from bihuan_supervision.domain.feeds.batch import BodyError, split_records, validate_raw
from bihuan_supervision.intake import receive, store
from bihuan_supervision.store.feed_routes import routes_for

router = APIRouter(prefix="/feeds", tags=["feeds"])

Feeder = Annotated[Principal, Depends(require_roles(Role.FEED))]
Importer = Annotated[Principal, Depends(require_roles(Role.FEED, Role.SUPERVISOR))]
# Per feed identity: a hotline machine sends batches of up to 50,000 records, so the default 600 requests a minute is far above
# any honest load and still stops a runaway client before it starves the others.
FeedRate = Annotated[Principal, Depends(rate_limit("feed_records", per_window="feed_requests_per_minute"))]


def _source(name: str) -> FeedSource:
    source = SOURCES.get(name)
    if source is None:
        raise NotFound(f"未知的数据源 {name}，可选: {', '.join(SOURCES)}", code="feed_source_unknown")
    return source


def _scope(principal: Principal) -> str:
    if principal.scope is None:  # tokens always carry one (auth/claims.py); this guards code-built principals
        raise Forbidden("数据接入身份须限定辖区 (scope)", code="feed_scope_required")
    return principal.scope


@router.post("/{source}/records")
async def post_records(source: str, request: Request, principal: Feeder, _: FeedRate) -> dict:
    """A batch of records (JSON array, or {"records": [...]}); answers counts and every rejected record."""
    feed, settings, scope = _source(source), request.app.state.settings, _scope(principal)
    declared = int(request.headers.get("content-length") or 0)
    if declared > settings.feed_max_body_bytes:
        raise TooLarge(f"请求体超过 {settings.feed_max_body_bytes} 字节上限，请分批发送", code="feed_body_too_large")
    body = await request.body()
    if len(body) > settings.feed_max_body_bytes:
        raise TooLarge(f"请求体超过 {settings.feed_max_body_bytes} 字节上限，请分批发送", code="feed_body_too_large")
    try:
        records = split_records(body)
    except BodyError as exc:
        if exc.syntax:
            raise Invalid(f"请求体不是合法 JSON: {exc}", code="feed_body_invalid") from None
        raise Invalid("请求体应为记录数组，或 {\"records\": [...]}", code="feed_body_invalid",
                      details=[{"field": "records", "message": f"应为数组（{exc}）"}]) from None
    if len(records.records) > settings.feed_max_records:
        raise TooLarge(f"单批最多 {settings.feed_max_records} 条记录，本批 {len(records.records)} 条",
                       code="feed_batch_too_large")
    routes = await routes_for(request.app.state.sessionmaker, scope)
    checked = validate_raw(feed, records, routes=routes)
    outcome = await store(request.app.state.sessionmaker, feed, principal, checked, len(records.records), "http")
    return outcome.as_answer()


@router.post("/{source}/files")
async def import_file(source: str, file: UploadFile, request: Request, principal: Importer, _: FeedRate) -> dict:
    """Backfill from a file (.csv, .jsonl, .xlsx with a header row); stored in chunks, each chunk idempotent."""
    feed, settings = _source(source), request.app.state.settings
    if file.size is not None and file.size > settings.feed_max_file_bytes:
        raise TooLarge(f"文件超过 {settings.feed_max_file_bytes} 字节上限", code="feed_file_too_large")
    routes = await routes_for(request.app.state.sessionmaker, _scope(principal))
    total = {"received": 0, "stored": 0, "updated": 0, "unchanged": 0, "rejected": 0, "batches": [], "errors": []}
    if routes.city:
        total["districts"] = {}
    async for first, chunk in read_records(file, settings.feed_file_chunk):
        outcome = await receive(request.app.state.sessionmaker, feed, routes, principal, chunk, "file",
                                file_name=file.filename, first_index=first)
        answer = outcome.as_answer()
        for key in ("received", "stored", "updated", "unchanged", "rejected"):
            total[key] += answer[key]
        for district, counts in answer.get("districts", {}).items():
            into = total["districts"].setdefault(district, dict.fromkeys(counts, 0))
            for key, value in counts.items():
                into[key] += value
        total["batches"].append(outcome.batch_id)
        total["errors"].extend(answer["errors"][: max(0, 1000 - len(total["errors"]))])
    return total

"""The leader's dashboard (her targets red / yellow / green, counts, latest progress, open warnings and orders,
the hotline signal of the units involved), live over server-sent events; and one view per kind of target."""
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.errors import Forbidden
from bihuan_shared.web.deps import SessionDep
from bihuan_supervision.dashboard.city import district_view
from bihuan_supervision.dashboard.views import channel, read_category, read_city, read_leader

router = APIRouter(prefix="/dashboards", tags=["dashboards"])

Overseer = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.LEADER, Role.TARGET_OFFICE))]
# The live stream is the leader's own board; the office polls (Redis-served) for any leader.
Leader = Annotated[Principal, Depends(require_roles(Role.LEADER))]
Category = Literal["key_work", "special_work", "major_project", "public_service", "unit_work"]
KEEPALIVE_SECONDS = 15


def _resources(request: Request) -> dict:
    s = request.app.state
    return {"redis": s.redis, "settings": s.settings, "sessionmaker": s.sessionmaker}


def _may_see(principal: Principal, leader: str) -> None:
    if principal.has(Role.SUPERVISOR, Role.TARGET_OFFICE):
        return
    if not (principal.has(Role.LEADER) and principal.user == leader):
        raise Forbidden("只能查看本人分管的目标看板", code="dashboard_forbidden")


@router.get("/cities/{city}")
async def city_dashboard(city: str, request: Request, principal: Overseer) -> dict:
    """The city's board: each district red / yellow / green with counts and open work, worst first, and the city's
    own targets (a city's office, leaders and supervision office); at most a few seconds old."""
    principal.require_read_scope(city)
    view, source = await read_city(_resources(request), city)
    return {**view, "served_from": source}


@router.get("/districts/{district}")
async def district_dashboard(district: str, principal: Overseer, session: SessionDep) -> dict:
    """One district's targets coloured as on its leader boards: the city board's drill-down, and the district's
    own office's overview."""
    principal.require_read_scope(district)
    return await district_view(session, district)


@router.get("/leaders/{leader}")
async def leader_dashboard(leader: str, request: Request, principal: Overseer,
                           category: Category | None = None) -> dict:
    """The leader's dashboard (optionally only one kind of target); served from Redis, rebuilt if missing."""
    _may_see(principal, leader)
    view, source = await read_leader(_resources(request), principal.scope, leader)
    if category is not None:
        view = {**view, "targets": [t for t in view["targets"] if t["category"] == category],
                "counts": view["by_category"].get(category, {})}
    return {**view, "served_from": source}


@router.get("/leaders/{leader}/stream")
async def leader_stream(leader: str, request: Request, principal: Leader) -> StreamingResponse:
    """Server-sent events for the leader herself: the dashboard now, then again each time a change is committed."""
    if principal.user != leader:
        raise Forbidden("只能订阅本人的看板", code="dashboard_forbidden")
    resources = _resources(request)
    scope = principal.scope
    pubsub = resources["redis"].pubsub()
    await pubsub.subscribe(channel(resources["settings"].redis_prefix, scope, leader))

    async def events():
        try:
            view, _ = await read_leader(resources, scope, leader)
            yield b"event: dashboard\ndata: " + orjson.dumps(view) + b"\n\n"
            while not await request.is_disconnected():
                try:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=KEEPALIVE_SECONDS)
                except TimeoutError:
                    message = None
                if message is None:
                    yield b": keep-alive\n\n"
                    continue
                yield b"event: dashboard\ndata: " + message["data"] + b"\n\n"
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/categories/{category}")
async def category_dashboard(category: Category, request: Request, principal: Overseer) -> dict:
    """One kind of target across the scope (key work, special work, major projects, public service, unit work)."""
    view, source = await read_category(_resources(request), principal.scope, category)
    return {**view, "served_from": source}



"""Objective metrics per unit and period, closing a period (publishes them for assessment), and which hotline
categories speak about which target."""
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import delete

from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict
from bihuan_supervision.domain.metrics import parse_period, rates
from bihuan_supervision.store.metric_tables import PeriodClosure, TopicTargetLink
from bihuan_supervision.store.metrics import close_period as close_period_now
from bihuan_supervision.store.metrics import unit_counts

router = APIRouter(prefix="/metrics", tags=["metrics"])

Supervisor = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR))]
Linker = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.TARGET_OFFICE))]
READERS = (Role.SUPERVISOR, Role.LEADER, Role.TARGET_OFFICE, Role.ASSESSOR)
MetricsReader = Annotated[Principal, Depends(require_roles(*READERS, Role.UNIT_REPORTER))]


@router.get("/units/{unit}")
async def unit_metrics(unit: str, period: str, principal: MetricsReader, session: SessionDep) -> dict:
    """A unit's counts and rates per source for a month (2026-03), quarter (2026-Q1) or year (2026)."""
    principal.require_unit(unit, oversight=READERS)
    kind, _ = parse_period(period)
    counts = await unit_counts(session, principal.scope or "", unit, period)
    closed = await session.get(PeriodClosure, (principal.scope or "", period)) is not None
    return {"unit": unit, "period": period, "period_kind": kind, "closed": closed,
            "sources": {source: {"counts": c, "metrics": rates(source, c)} for source, c in sorted(counts.items())}}


@router.post("/periods/{period}/close")
async def close_period(period: str, principal: Supervisor, session: SessionDep) -> dict:
    """Close a period: publish supervision.unit_metrics.published for every unit and source with data in it."""
    kind, _ = parse_period(period)
    scope = principal.scope or ""
    async with session.begin():
        published = await close_period_now(session, scope, period, principal.user)
        if published is None:
            raise Conflict(f"期间 {period} 已关闭", code="period_already_closed")
        await record_audit(session, principal, "metrics.period.closed", "period", f"{scope}:{period}",
                           after={"published": published})
    return {"period": period, "period_kind": kind, "published": published}


class TopicLinks(BaseModel):
    target_ids: list[str] = Field(max_length=200)


@router.put("/topics/{topic}/targets")
async def link_topic(topic: str, body: TopicLinks, principal: Linker, session: SessionDep) -> dict:
    """Set the targets a hotline category speaks about (replaces the previous mapping of that category)."""
    scope = principal.scope or ""
    async with session.begin():
        await session.execute(delete(TopicTargetLink).where(TopicTargetLink.scope == scope,
                                                            TopicTargetLink.topic == topic))
        session.add_all([TopicTargetLink(scope=scope, topic=topic, target_id=t, linked_by=principal.user)
                         for t in dict.fromkeys(body.target_ids)])
        await record_audit(session, principal, "metrics.topic.linked", "hotline_topic", topic,
                           after={"target_ids": body.target_ids})
    return {"topic": topic, "target_ids": list(dict.fromkeys(body.target_ids))}

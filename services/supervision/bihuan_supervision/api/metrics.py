"""Objective metrics per unit and period, the district's units and hotline categories in one answer each, closing a
period (publishes them for assessment), and which hotline categories speak about which target."""
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import delete

from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, NotFound
from bihuan_supervision.domain.metrics import (MAX_UNIT_CODE, check_code, check_topic, month_series, parse_period,
                                               parse_source, parse_units, parse_year, topic_ranking, unit_ranking,
                                               with_rates)
from bihuan_supervision.store.metric_tables import PeriodClosure, TopicTargetLink
from bihuan_supervision.store.metrics import close_period as close_period_now
from bihuan_supervision.store.metrics import (topic_known, topic_months, topic_targets, topics_in_period,
                                              unit_counts, units_in_period)

router = APIRouter(prefix="/metrics", tags=["metrics"])

Supervisor = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR))]
Linker = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.TARGET_OFFICE))]
READERS = (Role.SUPERVISOR, Role.LEADER, Role.TARGET_OFFICE, Role.ASSESSOR)
MetricsReader = Annotated[Principal, Depends(require_roles(*READERS, Role.UNIT_REPORTER))]
# District-wide answers (every hotline category of the scope) are for the oversight roles only.
DistrictReader = Annotated[Principal, Depends(require_roles(*READERS))]
# Query values arrive as text and are checked in domain.metrics, so a bad one is refused in zh-CN naming its field.
Text = Annotated[str | None, Query()]


async def _closed(session, scope: str, period: str) -> bool:
    return await session.get(PeriodClosure, (scope, period)) is not None


@router.get("/units")
async def district_units(principal: MetricsReader, session: SessionDep, period: Text = None, source: Text = None,
                         units: Annotated[list[str] | None, Query()] = None) -> dict:
    """Every unit with data in the period (or the units asked for, `units=U-1,U-2`), most records first, with counts
    and rates per source, and their total (the district's when no units are named). A unit reporter sees its own
    unit only."""
    kind, months = parse_period(period)
    wanted = parse_units(",".join(units) if units else None)
    if not principal.has(*READERS):
        wanted = wanted or [principal.unit]
        for unit in wanted:
            principal.require_unit(unit, oversight=READERS)
    scope = principal.scope
    only = parse_source(source)
    ranked, total = unit_ranking(await units_in_period(session, scope, months, source=only, units=wanted))
    return {"period": period, "period_kind": kind, "source": only, "closed": await _closed(session, scope, period),
            "units": ranked, "total": total}


@router.get("/topics")
async def district_topics(principal: DistrictReader, session: SessionDep, period: Text = None) -> dict:
    """Hotline counts and rates per category (topic) over the period, most orders first, each with the targets it is
    linked to; a linked category without orders in the period is listed with zeros."""
    kind, months = parse_period(period)
    scope = principal.scope
    topics, total = topic_ranking(await topics_in_period(session, scope, months), await topic_targets(session, scope))
    return {"period": period, "period_kind": kind, "closed": await _closed(session, scope, period),
            "topics": topics, "total": total}


@router.get("/topics/{topic}/trend")
async def topic_trend(topic: str, principal: DistrictReader, session: SessionDep, year: Text = None) -> dict:
    """One hotline category month by month over a year: orders, satisfaction rate and resolution rate."""
    check_topic(topic)
    year_value = parse_year(year)
    scope = principal.scope
    if not await topic_known(session, scope, topic):
        raise NotFound(f"诉求类别 {topic} 没有任何工单，也未关联目标", code="topic_not_found")
    months = await topic_months(session, scope, topic, year_value)
    return {"topic": topic, "year": year_value, "targets": (await topic_targets(session, scope, topic)).get(topic, []),
            "months": month_series(year_value, months)}


@router.get("/units/{unit}")
async def unit_metrics(unit: str, principal: MetricsReader, session: SessionDep, period: Text = None) -> dict:
    """A unit's counts and rates per source for a month (2026-03), quarter (2026-Q1) or year (2026)."""
    check_code(unit, "unit", MAX_UNIT_CODE, "单位编码")
    principal.require_unit(unit, oversight=READERS)
    kind, _ = parse_period(period)
    counts = await unit_counts(session, principal.scope, unit, period)
    return {"unit": unit, "period": period, "period_kind": kind,
            "closed": await _closed(session, principal.scope, period),
            "sources": {source: with_rates(source, c) for source, c in sorted(counts.items())}}


@router.post("/periods/{period}/close")
async def close_period(period: str, principal: Supervisor, session: SessionDep) -> dict:
    """Close a period: publish supervision.unit_metrics.published for every unit and source with data in it."""
    kind, _ = parse_period(period)
    scope = principal.scope
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
    check_topic(topic)
    scope = principal.scope
    async with session.begin():
        await session.execute(delete(TopicTargetLink).where(TopicTargetLink.scope == scope,
                                                            TopicTargetLink.topic == topic))
        session.add_all([TopicTargetLink(scope=scope, topic=topic, target_id=t, linked_by=principal.user)
                         for t in dict.fromkeys(body.target_ids)])
        await record_audit(session, principal, "metrics.topic.linked", "hotline_topic", topic,
                           after={"target_ids": body.target_ids})
    return {"topic": topic, "target_ids": list(dict.fromkeys(body.target_ids))}

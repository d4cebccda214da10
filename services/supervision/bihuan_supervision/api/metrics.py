"""Objective metrics per unit and period, the district's units and hotline categories in one answer each, closing a
period (publishes them for assessment), and which hotline categories speak about which target.

Every read takes `scope=` (default: the caller's): a city token reads any of its districts, and its own city, whose
answer adds up its districts with the same definitions and lists each district beside the total."""
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import delete

from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, NotFound
from bihuan_supervision.api.metric_reach import district_names, metrics_reach, period_closed
from bihuan_supervision.domain.city_metrics import city_unit_ranking, district_topic_totals
from bihuan_supervision.domain.metrics import (MAX_UNIT_CODE, check_code, check_topic, month_series, parse_period,
                                               parse_source, parse_units, parse_year, topic_ranking, unit_ranking,
                                               with_rates)
from bihuan_supervision.store.metric_tables import TopicTargetLink
from bihuan_supervision.store.metrics import close_period as close_period_now
from bihuan_supervision.store.metrics import (scoped_topic_totals, scoped_units_in_period, topic_known,
                                              topic_months, topic_targets, topics_in_period, unit_counts)

router = APIRouter(prefix="/metrics", tags=["metrics"])

Supervisor = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR))]
Linker = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.TARGET_OFFICE))]
READERS = (Role.SUPERVISOR, Role.LEADER, Role.TARGET_OFFICE, Role.ASSESSOR)
MetricsReader = Annotated[Principal, Depends(require_roles(*READERS, Role.UNIT_REPORTER))]
# District-wide answers (every hotline category of the scope) are for the oversight roles only.
DistrictReader = Annotated[Principal, Depends(require_roles(*READERS))]
# Query values arrive as text and are checked in domain.metrics, so a bad one is refused in zh-CN naming its field.
Text = Annotated[str | None, Query()]


@router.get("/units")
async def district_units(principal: MetricsReader, session: SessionDep, period: Text = None, source: Text = None,
                         units: Annotated[list[str] | None, Query()] = None, scope: Text = None) -> dict:
    """Every unit with data in the period (or the units asked for, `units=U-1,U-2`), most records first, with counts
    and rates per source, and their total (the district's when no units are named). A unit reporter sees its own
    unit only. For a city: every district's units (each naming its district), the city's total, and `districts`,
    each district's total as the district itself is answered."""
    kind, months = parse_period(period)
    wanted = parse_units(",".join(units) if units else None)
    if not principal.has(*READERS):
        wanted = wanted or [principal.unit]
        for unit in wanted:
            principal.require_unit(unit, oversight=READERS)
    reach = metrics_reach(principal, scope)
    only = parse_source(source)
    rows = await scoped_units_in_period(session, reach.scopes, months, source=only, units=wanted)
    answer = {"scope": reach.scope, "period": period, "period_kind": kind, "source": only,
              "closed": await period_closed(session, reach, period)}
    if not reach.city:
        ranked, total = unit_ranking([row[1:] for row in rows])
        return {**answer, "units": ranked, "total": total}
    ranked, total, districts = city_unit_ranking(rows, reach.scopes, await district_names(session, reach))
    return {**answer, "units": ranked, "total": total, "districts": districts}


@router.get("/topics")
async def district_topics(principal: DistrictReader, session: SessionDep, period: Text = None,
                          scope: Text = None) -> dict:
    """Hotline counts and rates per category (topic) over the period, most orders first, each with the targets it is
    linked to; a linked category without orders in the period is listed with zeros. For a city: the categories
    across its districts, the city's own links, and `districts`, each district's orders and rates."""
    kind, months = parse_period(period)
    reach = metrics_reach(principal, scope)
    topics, total = topic_ranking(await topics_in_period(session, reach.scopes, months),
                                  await topic_targets(session, reach.scope))
    answer = {"scope": reach.scope, "period": period, "period_kind": kind,
              "closed": await period_closed(session, reach, period), "topics": topics, "total": total}
    if reach.city:
        answer["districts"] = district_topic_totals(await scoped_topic_totals(session, reach.scopes, months),
                                                    reach.scopes, await district_names(session, reach))
    return answer


@router.get("/topics/{topic}/trend")
async def topic_trend(topic: str, principal: DistrictReader, session: SessionDep, year: Text = None,
                      scope: Text = None) -> dict:
    """One hotline category month by month over a year: orders, satisfaction rate and resolution rate."""
    check_topic(topic)
    year_value = parse_year(year)
    reach = metrics_reach(principal, scope)
    if not await topic_known(session, reach.scopes, topic, reach.scope):
        raise NotFound(f"诉求类别 {topic} 没有任何工单，也未关联目标", code="topic_not_found")
    months = await topic_months(session, reach.scopes, topic, year_value)
    return {"scope": reach.scope, "topic": topic, "year": year_value,
            "targets": (await topic_targets(session, reach.scope, topic)).get(topic, []),
            "months": month_series(year_value, months)}


@router.get("/units/{unit}")
async def unit_metrics(unit: str, principal: MetricsReader, session: SessionDep, period: Text = None,
                       scope: Text = None) -> dict:
    """A unit's counts and rates per source for a month (2026-03), quarter (2026-Q1) or year (2026); for a city,
    the unit's records in all its districts added up (a city department answers orders in many districts)."""
    check_code(unit, "unit", MAX_UNIT_CODE, "单位编码")
    principal.require_unit(unit, oversight=READERS)
    kind, _ = parse_period(period)
    reach = metrics_reach(principal, scope)
    counts = await unit_counts(session, reach.scopes, unit, period)
    return {"scope": reach.scope, "unit": unit, "period": period, "period_kind": kind,
            "closed": await period_closed(session, reach, period),
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

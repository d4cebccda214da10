"""Bonus, penalty and veto entries (加减分、一票否决), always with their basis; and statistics (e.g. GDP, fiscal
revenue) for objective indicators that no feed delivers."""
import re

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from bihuan_assessment.api.batch import split_batch
from bihuan_assessment.api.deps import AssessorOrOffice, open_assessment
from bihuan_assessment.domain.rules import SchemeRules
from bihuan_assessment.store.city import city_districts
from bihuan_assessment.store.models import MetricFact, Scheme, ScoreItem
from bihuan_shared.audit import record_audit
from bihuan_shared.web.deps import SessionDep

router = APIRouter(tags=["entries"])


class EntryRow(BaseModel):
    unit: str = Field(min_length=1, max_length=64)
    item_key: str = Field(min_length=1, max_length=64)
    points: float = Field(0, ge=0, le=100, description="size of the bonus or penalty; ignored for veto items")
    target_id: str | None = Field(None, max_length=32)
    basis: str = Field(min_length=2, description="依据: what happened, where it is documented")


class Batch(BaseModel):
    scope: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    items: list[dict] = Field(max_length=5000)


@router.post("/score-items")
async def enter_items(body: Batch, principal: AssessorOrOffice, session: SessionDep) -> dict:
    """Record bonus / penalty / veto findings against units (or targets, for joint items)."""
    principal.require_scope(body.scope)
    good, errors = split_batch(body.items, EntryRow)
    async with session.begin():
        assessment = await open_assessment(session, body.scope, body.year)
        known = await _item_keys(session, assessment.scheme_id) if assessment else None
        kept = []
        for i, row in good:
            if known is not None and row.item_key not in known:
                errors.append({"index": i, "field": "item_key", "message": f"考核办法中没有此加减分项: {row.item_key}"})
                continue
            item = ScoreItem(scope=body.scope, year=body.year, entered_by=principal.user, **row.model_dump())
            session.add(item)
            kept.append(item)
        await session.flush()
        if kept:
            await record_audit(session, principal, "score_items.entered", "score_items", f"{body.scope}/{body.year}",
                               after=[{"id": k.id, "unit": k.unit, "item_key": k.item_key, "points": k.points,
                                       "target_id": k.target_id, "basis": k.basis} for k in kept])
    return {"accepted": len(kept), "ids": [k.id for k in kept], "errors": errors}


async def _item_keys(session, scheme_id: int) -> set[str]:
    rules = SchemeRules.model_validate(await session.scalar(select(Scheme.rules).where(Scheme.id == scheme_id)))
    return {i.key for g in rules.groups for i in g.items}


PERIOD = re.compile(r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")


class StatisticRow(BaseModel):
    unit: str = Field(min_length=1, max_length=64)
    period: str = Field(pattern=PERIOD.pattern, description="2026, 2026-Q1 or 2026-03")
    metrics: dict[str, float] = Field(min_length=1)


class StatisticsBatch(BaseModel):
    scope: str = Field(min_length=1)
    items: list[dict] = Field(max_length=5000)


@router.post("/statistics")
async def enter_statistics(body: StatisticsBatch, principal: AssessorOrOffice, session: SessionDep) -> dict:
    """Statistics per unit and period (source "statistics"); a later entry is a new revision that replaces it."""
    principal.require_scope(body.scope)
    good, errors = split_batch(body.items, StatisticRow)
    async with session.begin():
        good = await _districts_only(session, body.scope, good, errors)
        for _, row in good:
            kind = "year" if len(row.period) == 4 else ("quarter" if "Q" in row.period else "month")
            values = dict(scope=body.scope, unit=row.unit, period=row.period, source="statistics", period_kind=kind,
                          revision=1, metrics=row.metrics, origin=f"statistics:{principal.user}")
            stmt = insert(MetricFact).values(**values)
            await session.execute(stmt.on_conflict_do_update(
                index_elements=[MetricFact.scope, MetricFact.unit, MetricFact.period, MetricFact.source],
                set_={"metrics": stmt.excluded.metrics, "origin": stmt.excluded.origin,
                      "revision": MetricFact.revision + 1}))
        if good:
            await record_audit(session, principal, "statistics.entered", "metric_facts", body.scope,
                               after=[r.model_dump() for _, r in good])
    return {"accepted": len(good), "errors": errors}


async def _districts_only(session, scope: str, good: list, errors: list) -> list:
    """A city enters statistics per district (its assessed units): a code that is not one of its registered
    districts is refused by index and field, and the rest kept."""
    districts = await city_districts(session, scope)
    if districts is None:
        return good
    for i, row in good:
        if row.unit not in districts:
            errors.append({"index": i, "field": "unit", "code": "district_unknown",
                           "message": f"{row.unit} 不是本市已登记的区"})
    return [(i, row) for i, row in good if row.unit in districts]

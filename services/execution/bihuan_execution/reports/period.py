"""Gathering a period report from execution's tables: which targets, their milestones and lag explanations."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import any_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_execution.domain.period import LagFact, MilestoneFact, PeriodCounts, TargetFact, count
from bihuan_execution.store.models import LagExplanation, MilestoneCopy, TargetCopy


@dataclass(frozen=True)
class PeriodFilter:
    scope: str
    as_of: date
    unit: str | None = None       # lead or responsible unit
    leader: str | None = None
    category: str | None = None
    year: int | None = None


@dataclass
class PeriodReport:
    filter: PeriodFilter
    counts: PeriodCounts
    targets: dict[str, TargetCopy]
    milestones: dict[str, MilestoneCopy]


async def build(session: AsyncSession, f: PeriodFilter) -> PeriodReport:
    query = select(TargetCopy).where(TargetCopy.scope == f.scope, TargetCopy.cancelled.is_(False))
    if f.unit:
        query = query.where(or_(TargetCopy.lead_unit == f.unit, any_(TargetCopy.responsible_units) == f.unit))
    for column, value in ((TargetCopy.leader, f.leader), (TargetCopy.category, f.category), (TargetCopy.year, f.year)):
        if value is not None:
            query = query.where(column == value)
    targets = {t.id: t for t in await session.scalars(query)}
    milestones = {m.id: m for t in targets.values() for m in t.milestones if not m.withdrawn}
    lags: dict[str, list[LagFact]] = {}
    if milestones:
        rows = await session.scalars(select(LagExplanation).where(LagExplanation.milestone_id.in_(list(milestones)))
                                     .order_by(LagExplanation.explained_at))
        for lag in rows:
            lags.setdefault(lag.milestone_id, []).append(LagFact(
                lag.reason_kind, lag.reason_category, lag.explanation, lag.recovery_plan, lag.new_expected_date,
                lag.explained_on))
    counts = count([TargetFact(t.id, t.parent_id) for t in targets.values()],
                   [MilestoneFact(m.target_id, m.id, m.due_date, m.completed_on, tuple(lags.get(m.id, ())))
                    for m in milestones.values()], f.as_of)
    return PeriodReport(f, counts, targets, milestones)

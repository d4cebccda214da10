"""Reading one group's inputs as a single consistent snapshot (REPEATABLE READ, read only): a unit's score is never
computed from half-applied events, whatever the fact consumers commit meanwhile."""
from collections import defaultdict
from contextlib import asynccontextmanager
from datetime import date
from typing import AsyncIterator

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bihuan_assessment.domain.inputs import (EvaluationIn, GroupInputs, ItemEntryIn, MetricIn, MilestoneIn, TargetIn,
                                             UnitIn)
from bihuan_assessment.domain.rules import Group, SchemeRules
from bihuan_assessment.store.models import Evaluation, MetricFact, ScoreItem, UnitFact
from bihuan_shared.clock import today as city_today


@asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only REPEATABLE READ transaction: every query in it sees the database as of its first query."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        async with conn.begin():
            yield conn


def judged_at(as_of: date, today: date | None = None) -> date:
    """Milestones are judged at the assessment's date, or today while the year is still running."""
    return min(as_of, today or city_today("assessment"))


async def load_group(engine: AsyncEngine, scope: str, year: int, as_of: date, rules: SchemeRules,
                     group: Group) -> GroupInputs:
    async with snapshot(engine) as conn:
        return await _load(conn, scope, year, judged_at(as_of), rules, group)


async def _load(conn: AsyncConnection, scope, year, as_of, rules, group) -> GroupInputs:
    units = [UnitIn(r.unit_code, r.name) for r in await conn.execute(
        select(UnitFact.unit_code, UnitFact.name, UnitFact.assessment_group)
        .where(UnitFact.scope == scope, UnitFact.active.is_(True),
               or_(UnitFact.assessment_group.in_(group.unit_groups or [""]), UnitFact.unit_code.in_(group.units or [""])))
        .order_by(UnitFact.unit_code))
        if (g := rules.group_of(r.unit_code, r.assessment_group)) is not None and g.key == group.key]
    codes = [u.code for u in units]
    inputs = GroupInputs(year=year, as_of=as_of, units=units)
    if not codes:
        return inputs
    inputs.targets = await _targets(conn, scope, year, codes)
    ids = [t.id for t in inputs.targets]
    inputs.metrics = [MetricIn(r.unit, r.period, r.period_kind, r.source, r.metrics, r.origin) for r in
                      await conn.execute(select(MetricFact).where(
                          MetricFact.scope == scope, MetricFact.unit.in_(codes),
                          or_(MetricFact.period.startswith(str(year)), MetricFact.period.startswith(str(year - 1)))))]
    inputs.evaluations = [EvaluationIn(r.unit, r.kind, r.evaluator, r.score, r.origin) for r in
                          await conn.execute(select(Evaluation).where(
                              Evaluation.scope == scope, Evaluation.year == year, Evaluation.unit.in_(codes))
                              .order_by(Evaluation.id))]
    inputs.entries = [ItemEntryIn(r.id, r.unit, r.item_key, r.points, r.basis, r.target_id) for r in
                      await conn.execute(select(ScoreItem).where(
                          ScoreItem.scope == scope, ScoreItem.year == year,
                          or_(ScoreItem.unit.in_(codes), ScoreItem.target_id.in_(ids or [""])))
                          .order_by(ScoreItem.id))]
    return inputs


async def _targets(conn: AsyncConnection, scope: str, year: int, codes: list[str]) -> list[TargetIn]:
    # The hot path of a job (~12 milestones per target): read on the driver connection itself (same transaction, same
    # snapshot) to skip per-row ORM processing.
    raw = (await conn.get_raw_connection()).driver_connection
    where = ("t.scope = $1 AND t.year = $2 AND NOT t.cancelled"
             " AND (t.lead_unit = ANY($3::varchar[]) OR t.responsible_units && $3::varchar[])")
    milestones = defaultdict(list)
    for r in await raw.fetch(
            "SELECT m.target_id, m.id, m.due_date, m.completed_on, m.timeliness, m.overdue, m.lag_kind,"
            " m.exec_event_id, m.lag_event_id FROM milestone_facts m JOIN target_facts t ON t.id = m.target_id"
            f" WHERE {where}", scope, year, codes):  # sorted per target below: cheaper than a collated SQL sort
        sources = tuple(x for x in (r[7], r[8]) if x)
        milestones[r[0]].append(MilestoneIn(r[1], r[2], r[3], r[4], r[5], r[6], sources))
    rows = await raw.fetch("SELECT t.id, t.code, t.title, t.category, t.lead_unit, t.responsible_units, t.weight,"
                           f" t.adjusted, t.event_id FROM target_facts t WHERE {where} ORDER BY t.id", scope, year, codes)
    return [TargetIn(r[0], r[1] or r[0], r[2] or "", r[3], r[4], tuple(r[5] or ()), r[6],
                     tuple(sorted(milestones[r[0]], key=lambda m: (m.due_date, m.id))),
                     r[7], r[8]) for r in rows]

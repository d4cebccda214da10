"""Reading one group's inputs as a single consistent snapshot (REPEATABLE READ, read only): a unit's score is never
computed from half-applied events, whatever the fact consumers commit meanwhile."""
from collections import defaultdict
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bihuan_assessment.domain.inputs import (EvaluationIn, GroupInputs, ItemEntryIn, MetricIn, MilestoneIn, TargetIn,
                                             UnitIn)
from bihuan_assessment.domain.rules import Group, SchemeRules
from bihuan_assessment.store.models import (Evaluation, MetricFact, MilestoneFact, ScoreItem, TargetFact, UnitFact)


async def load_group(engine: AsyncEngine, scope: str, year: int, as_of: date, rules: SchemeRules,
                     group: Group) -> GroupInputs:
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        async with conn.begin():
            return await _load(conn, scope, year, as_of, rules, group)


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
    t, m = TargetFact, MilestoneFact
    mine = and_(t.scope == scope, t.year == year, t.cancelled.is_(False),
                or_(t.lead_unit.in_(codes), t.responsible_units.overlap(codes)))
    milestones = defaultdict(list)
    for r in await conn.execute(
            select(m.target_id, m.id, m.due_date, m.completed_on, m.timeliness, m.overdue, m.lag_kind,
                   m.exec_event_id, m.lag_event_id).join(t, t.id == m.target_id).where(mine).order_by(m.due_date, m.id)):
        sources = tuple(s for s in (r.exec_event_id, r.lag_event_id) if s)
        milestones[r.target_id].append(MilestoneIn(r.id, r.due_date, r.completed_on, r.timeliness, r.overdue,
                                                   r.lag_kind, sources))
    rows = await conn.execute(select(t.id, t.code, t.title, t.category, t.lead_unit, t.responsible_units, t.weight,
                                     t.adjusted, t.event_id).where(mine).order_by(t.id))
    return [TargetIn(r.id, r.code or r.id, r.title or "", r.category, r.lead_unit, tuple(r.responsible_units or ()),
                     r.weight, tuple(milestones[r.id]), r.adjusted, r.event_id) for r in rows]

"""Rows every group snapshot reads, a district's units or a city's districts alike (inside the caller's snapshot
transaction): targets with their milestones, and the evaluations and bonus / penalty entries of the units."""
from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bihuan_assessment.domain.inputs import EvaluationIn, ItemEntryIn, MetricIn, MilestoneIn, TargetIn
from bihuan_assessment.store.models import Evaluation, MetricFact, ScoreItem


async def fetch_targets(conn: AsyncConnection, where: str, args: tuple, lead: str = "t.lead_unit",
                        responsible: str = "t.responsible_units") -> list[TargetIn]:
    """Targets matching `where` (on target_facts t, asyncpg $n parameters); `lead` / `responsible`: the columns
    the target is credited to (a city credits a linked target to its district: t.scope and no one else)."""
    # The hot path of a job (~12 milestones per target): read on the driver connection itself (same transaction, same
    # snapshot) to skip per-row ORM processing.
    raw = (await conn.get_raw_connection()).driver_connection
    milestones = defaultdict(list)
    for r in await raw.fetch(
            "SELECT m.target_id, m.id, m.due_date, m.completed_on, m.timeliness, m.overdue, m.lag_kind,"
            " m.exec_event_id, m.lag_event_id FROM milestone_facts m JOIN target_facts t ON t.id = m.target_id"
            f" WHERE {where}", *args):  # sorted per target below: cheaper than a collated SQL sort
        sources = tuple(x for x in (r[7], r[8]) if x)
        milestones[r[0]].append(MilestoneIn(r[1], r[2], r[3], r[4], r[5], r[6], sources))
    rows = await raw.fetch(f"SELECT t.id, t.code, t.title, t.category, {lead}, {responsible}, t.weight, t.adjusted,"
                           f" t.event_id, t.origin_target_id FROM target_facts t WHERE {where} ORDER BY t.id", *args)
    return [TargetIn(r[0], r[1] or r[0], r[2] or "", r[3], r[4], tuple(r[5] or ()), r[6],
                     tuple(sorted(milestones[r[0]], key=lambda m: (m.due_date, m.id))),
                     r[7], r[8], r[9]) for r in rows]


def in_years(year: int):
    """Metric periods of the year and the year before (growth rates compare them)."""
    return or_(MetricFact.period.startswith(str(year)), MetricFact.period.startswith(str(year - 1)))


async def metrics_of(conn: AsyncConnection, scope: str, year: int, codes: list[str]) -> list[MetricIn]:
    return [MetricIn(r.unit, r.period, r.period_kind, r.source, r.metrics, r.origin) for r in await conn.execute(
        select(MetricFact).where(MetricFact.scope == scope, MetricFact.unit.in_(codes), in_years(year)))]


async def entered(conn: AsyncConnection, scope: str, year: int, codes: list[str], target_ids: list[str]
                  ) -> tuple[list[EvaluationIn], list[ItemEntryIn]]:
    """Evaluations of the units, and item entries against them or against their targets (joint items)."""
    evaluations = [EvaluationIn(r.unit, r.kind, r.evaluator, r.score, r.origin) for r in
                   await conn.execute(select(Evaluation).where(
                       Evaluation.scope == scope, Evaluation.year == year, Evaluation.unit.in_(codes))
                       .order_by(Evaluation.id))]
    entries = [ItemEntryIn(r.id, r.unit, r.item_key, r.points, r.basis, r.target_id) for r in
               await conn.execute(select(ScoreItem).where(
                   ScoreItem.scope == scope, ScoreItem.year == year,
                   or_(ScoreItem.unit.in_(codes), ScoreItem.target_id.in_(target_ids or [""])))
                   .order_by(ScoreItem.id))]
    return evaluations, entries

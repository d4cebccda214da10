"""Keeping the other inputs of a score: the units directory (with assessment groups), objective metrics from
supervision (highest revision wins), and lead units' ratings of their cooperating units.

Each handler notes one row; the consumer batch writes the rows of each kind in one statement, once after its last
handler, in delivery order (the rows run one after another, so a later event of a key still meets the earlier one's
row, as one statement per event did)."""
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert

from bihuan_assessment.store.models import Evaluation, MetricFact, UnitFact
from bihuan_shared.bus.consumer import HandlerContext
from bihuan_shared.contracts.execution import CooperationRated
from bihuan_shared.contracts.planning import UnitSnapshot
from bihuan_shared.contracts.supervision import UnitMetricsPublished


def _upsert(table: Table, key: list[str], columns: list[str], replaces=None):
    """Insert or update by key; `replaces(stored, new)`, where given, says which incoming rows replace a stored one."""
    stmt = insert(table)
    where = replaces(table.c, stmt.excluded) if replaces else None
    return stmt.on_conflict_do_update(index_elements=key, set_={c: stmt.excluded[c] for c in columns}, where=where)


UNITS = _upsert(UnitFact.__table__, ["scope", "unit_code"],
                ["scope", "unit_code", "name", "kind", "parent", "assessment_group", "active", "event_seq"],
                replaces=lambda stored, new: stored.event_seq <= new.event_seq)
METRICS = _upsert(MetricFact.__table__, ["scope", "unit", "period", "source"],
                  ["scope", "unit", "period", "source", "period_kind", "revision", "metrics", "origin"],
                  replaces=lambda stored, new: stored.revision < new.revision)
RATINGS = _upsert(Evaluation.__table__, ["scope", "year", "unit", "kind", "evaluator", "subject"],
                  ["score", "comment", "origin"])


async def on_unit_changed(ctx: HandlerContext, event: UnitSnapshot) -> None:
    _note(ctx, UNITS, dict(scope=ctx.envelope.scope, unit_code=event.unit_code, name=event.name, kind=event.kind,
                           parent=event.parent, assessment_group=event.assessment_group, active=event.active,
                           event_seq=ctx.envelope.sequence))


async def on_unit_metrics_published(ctx: HandlerContext, event: UnitMetricsPublished) -> None:
    _note(ctx, METRICS, dict(scope=ctx.envelope.scope, unit=event.unit, period=event.period, source=event.source,
                             period_kind=event.period_kind, revision=event.revision,
                             metrics={**event.metrics, **{k: float(v) for k, v in event.counts.items()}},
                             origin=str(ctx.envelope.event_id)))


async def on_cooperation_rated(ctx: HandlerContext, event: CooperationRated) -> None:
    _note(ctx, RATINGS, dict(scope=ctx.envelope.scope, year=event.rated_at.year, unit=event.cooperating_unit,
                             kind="cooperation", evaluator=event.lead_unit, subject=event.target_id,
                             score=max(0.0, min(100.0, event.rating)), comment=event.comment,
                             origin=str(ctx.envelope.event_id)))


def _note(ctx: HandlerContext, statement, row: dict) -> None:
    key = f"assessment.inputs.{statement.table.name}"
    rows = ctx.batch.state.setdefault(key, [])
    rows.append(row)
    ctx.batch.before_commit(key, lambda: ctx.session.execute(statement, rows))


HANDLERS = {
    "planning.unit.registered": on_unit_changed,
    "planning.unit.updated": on_unit_changed,
    "supervision.unit_metrics.published": on_unit_metrics_published,
    "execution.cooperation.rated": on_cooperation_rated,
}

"""Keeping the other inputs of a score: the units directory (with assessment groups), objective metrics from
supervision (highest revision wins), and lead units' ratings of their cooperating units."""
from sqlalchemy.dialects.postgresql import insert

from bihuan_assessment.store.models import Evaluation, MetricFact, UnitFact
from bihuan_shared.bus.consumer import HandlerContext
from bihuan_shared.contracts.execution import CooperationRated
from bihuan_shared.contracts.planning import UnitSnapshot
from bihuan_shared.contracts.supervision import UnitMetricsPublished


async def on_unit_changed(ctx: HandlerContext, event: UnitSnapshot) -> None:
    values = dict(scope=ctx.envelope.scope, unit_code=event.unit_code, name=event.name, kind=event.kind,
                  parent=event.parent, assessment_group=event.assessment_group, active=event.active,
                  event_seq=ctx.envelope.sequence)
    stmt = insert(UnitFact).values(**values)
    await ctx.session.execute(stmt.on_conflict_do_update(
        index_elements=[UnitFact.scope, UnitFact.unit_code], set_=values,
        where=UnitFact.event_seq <= stmt.excluded.event_seq))


async def on_unit_metrics_published(ctx: HandlerContext, event: UnitMetricsPublished) -> None:
    values = dict(scope=ctx.envelope.scope, unit=event.unit, period=event.period, source=event.source,
                  period_kind=event.period_kind, revision=event.revision,
                  metrics={**event.metrics, **{k: float(v) for k, v in event.counts.items()}},
                  origin=str(ctx.envelope.event_id))
    stmt = insert(MetricFact).values(**values)
    await ctx.session.execute(stmt.on_conflict_do_update(
        index_elements=[MetricFact.scope, MetricFact.unit, MetricFact.period, MetricFact.source], set_=values,
        where=MetricFact.revision < stmt.excluded.revision))


async def on_cooperation_rated(ctx: HandlerContext, event: CooperationRated) -> None:
    values = dict(scope=ctx.envelope.scope, year=event.rated_at.year, unit=event.cooperating_unit, kind="cooperation",
                  evaluator=event.lead_unit, subject=event.target_id, score=max(0.0, min(100.0, event.rating)),
                  comment=event.comment, origin=str(ctx.envelope.event_id))
    stmt = insert(Evaluation).values(**values)
    await ctx.session.execute(stmt.on_conflict_do_update(
        index_elements=["scope", "year", "unit", "kind", "evaluator", "subject"],
        set_={k: values[k] for k in ("score", "comment", "origin")}))


HANDLERS = {
    "planning.unit.registered": on_unit_changed,
    "planning.unit.updated": on_unit_changed,
    "supervision.unit_metrics.published": on_unit_metrics_published,
    "execution.cooperation.rated": on_cooperation_rated,
}

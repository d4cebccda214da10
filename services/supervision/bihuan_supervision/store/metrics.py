"""Reading the running counts (a period is the sum of its months) and publishing closed periods' metrics."""
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_shared.contracts.supervision import UnitMetricsPublished
from bihuan_shared.events import new_event
from bihuan_shared.messaging.outbox import record_events
from bihuan_supervision.domain.feeds import COUNTERS
from bihuan_supervision.domain.metrics import parse_period, published_counts, rates
from bihuan_supervision.store.metric_tables import MetricPublication

_SUMS = ", ".join(f"sum({c})::bigint AS {c}" for c in COUNTERS)


async def unit_counts(session: AsyncSession, scope: str, unit: str, period: str) -> dict[str, dict[str, int]]:
    """{source: counts} of one unit over a period."""
    _, months = parse_period(period)
    rows = await session.execute(text(
        f"SELECT source, {_SUMS} FROM unit_month_counts WHERE scope = :scope AND unit = :unit"
        " AND month = ANY(:months) GROUP BY source"), {"scope": scope, "unit": unit, "months": months})
    return {r.source: {c: getattr(r, c) for c in COUNTERS} for r in rows}


async def all_unit_counts(session: AsyncSession, scope: str, period: str) -> list[tuple[str, str, dict[str, int]]]:
    _, months = parse_period(period)
    rows = await session.execute(text(
        f"SELECT source, unit, {_SUMS} FROM unit_month_counts WHERE scope = :scope AND month = ANY(:months)"
        " GROUP BY source, unit"), {"scope": scope, "months": months})
    return [(r.source, r.unit, {c: getattr(r, c) for c in COUNTERS}) for r in rows]


async def mark_period_for_publication(session: AsyncSession, scope: str, period: str) -> None:
    """A closing period: every (unit, source) with data gets a publication row, dirty until published."""
    kind, _ = parse_period(period)
    for source, unit, _counts in await all_unit_counts(session, scope, period):
        row = await session.get(MetricPublication, (scope, source, unit, period))
        if row is None:
            session.add(MetricPublication(scope=scope, source=source, unit=unit, period=period, period_kind=kind,
                                          revision=0, counts={}, dirty=True))
    await session.flush()


async def publish_dirty(session: AsyncSession, scope: str | None = None, limit: int = 500) -> int:
    """Publish a new revision of every dirty closed period whose counts changed (late data); returns how many."""
    query = select(MetricPublication).where(MetricPublication.dirty).limit(limit).with_for_update(skip_locked=True)
    if scope is not None:
        query = query.where(MetricPublication.scope == scope)
    events, published = [], 0
    for pub in (await session.scalars(query)).all():
        counts = (await unit_counts(session, pub.scope, pub.unit, pub.period)).get(pub.source, {})
        pub.dirty = False
        if counts == pub.counts:
            continue  # a late record that changed nothing this period reports (e.g. an unchanged status)
        pub.revision, pub.counts, pub.published_at = pub.revision + 1, counts, datetime.now(UTC)
        payload = UnitMetricsPublished(unit=pub.unit, period=pub.period, period_kind=pub.period_kind,
                                       source=pub.source, revision=pub.revision, metrics=rates(pub.source, counts),
                                       counts=published_counts(pub.source, counts))
        aggregate = f"{pub.scope}:{pub.source}:{pub.unit}:{pub.period}"
        events.append(new_event(payload, scope=pub.scope, aggregate_id=aggregate,
                                sequence=pub.revision))
        published += 1
    await record_events(session, events)
    return published


async def close_period(session: AsyncSession, scope: str, period: str, closed_by: str) -> int | None:
    """Close a period and publish its metrics; None if it was already closed."""
    from bihuan_supervision.store.metric_tables import PeriodClosure

    kind, _ = parse_period(period)
    if await session.get(PeriodClosure, (scope, period)) is not None:
        return None
    session.add(PeriodClosure(scope=scope, period=period, period_kind=kind, closed_by=closed_by))
    await mark_period_for_publication(session, scope, period)
    return await publish_dirty(session, scope, limit=100_000)

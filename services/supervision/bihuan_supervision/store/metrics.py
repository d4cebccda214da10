"""Reading the running counts (a period is the sum of its months) and publishing closed periods' metrics."""
from datetime import UTC, date, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_shared.contracts.supervision import UnitMetricsPublished
from bihuan_shared.events import new_event
from bihuan_shared.messaging.outbox import record_events
from bihuan_supervision.domain.feeds import COUNTERS
from bihuan_supervision.domain.metrics import parse_period, published_counts, rates
from bihuan_supervision.store.metric_tables import MetricPublication

_SUMS = ", ".join(f"sum({c})::bigint AS {c}" for c in COUNTERS)


Scopes = str | list[str]  # one scope, or a city's districts (their counts added up: sums, never averaged rates)


def _any(scope: Scopes) -> list[str]:
    return [scope] if isinstance(scope, str) else scope


async def unit_counts(session: AsyncSession, scope: Scopes, unit: str, period: str) -> dict[str, dict[str, int]]:
    """{source: counts} of one unit over a period."""
    _, months = parse_period(period)
    rows = await session.execute(text(
        f"SELECT source, {_SUMS} FROM unit_month_counts WHERE scope = ANY(:scopes) AND unit = :unit"
        " AND month = ANY(:months) GROUP BY source"), {"scopes": _any(scope), "unit": unit, "months": months})
    return {r.source: _counts(r) for r in rows}


async def all_unit_counts(session: AsyncSession, scope: str, period: str) -> list[tuple[str, str, dict[str, int]]]:
    """Every (unit, source) with a month row in the period, even one whose records all moved away (it publishes
    zeros, replacing what was published before)."""
    _, months = parse_period(period)
    return await units_in_period(session, scope, months, with_empty=True)


async def units_in_period(session: AsyncSession, scope: str, months: list[date], *, source: str | None = None,
                          units: list[str] | None = None, with_empty: bool = False
                          ) -> list[tuple[str, str, dict[str, int]]]:
    """(source, unit, counts) of the units with records in the months, optionally of one source or some units:
    one GROUP BY over the month rows, however many units the district has."""
    rows = await scoped_units_in_period(session, [scope], months, source=source, units=units, with_empty=with_empty)
    return [row[1:] for row in rows]


async def scoped_units_in_period(session: AsyncSession, scopes: list[str], months: list[date], *,
                                 source: str | None = None, units: list[str] | None = None, with_empty: bool = False
                                 ) -> list[tuple[str, str, str, dict[str, int]]]:
    """(scope, source, unit, counts): the same rows for several scopes at once (a city's districts)."""
    where, params = ["scope = ANY(:scopes)", "month = ANY(:months)"], {"scopes": scopes, "months": months}
    if source is not None:
        where.append("source = :source")
        params["source"] = source
    if units is not None:
        where.append("unit = ANY(:units)")
        params["units"] = units
    having = "" if with_empty else " HAVING sum(records) > 0"
    rows = await session.execute(text(
        f"SELECT scope, source, unit, {_SUMS} FROM unit_month_counts WHERE {' AND '.join(where)}"
        f" GROUP BY scope, source, unit{having}"), params)
    return [(r.scope, r.source, r.unit, _counts(r)) for r in rows]


async def topics_in_period(session: AsyncSession, scope: Scopes, months: list[date]) -> dict[str, dict[str, int]]:
    """{topic: counts} of the hotline categories with orders in the months."""
    rows = await session.execute(text(
        f"SELECT topic, {_SUMS} FROM topic_month_counts WHERE scope = ANY(:scopes) AND source = 'hotline'"
        " AND month = ANY(:months) GROUP BY topic HAVING sum(records) > 0"),
        {"scopes": _any(scope), "months": months})
    return {r.topic: _counts(r) for r in rows}


async def scoped_topic_totals(session: AsyncSession, scopes: list[str], months: list[date]
                              ) -> dict[str, dict[str, int]]:
    """{scope: counts} of all hotline categories together, per scope (a city's districts side by side)."""
    rows = await session.execute(text(
        f"SELECT scope, {_SUMS} FROM topic_month_counts WHERE scope = ANY(:scopes) AND source = 'hotline'"
        " AND month = ANY(:months) GROUP BY scope"), {"scopes": scopes, "months": months})
    return {r.scope: _counts(r) for r in rows}


async def topic_targets(session: AsyncSession, scope: str, topic: str | None = None) -> dict[str, list[dict]]:
    """{topic: [{id, code, title}]}: the targets each hotline category is linked to (code and title once supervision
    has seen the target published; None before)."""
    rows = await session.execute(text(
        "SELECT l.topic, l.target_id, t.code, t.title FROM topic_target_links l"
        " LEFT JOIN target_views t ON t.id = l.target_id AND t.scope = l.scope"
        " WHERE l.scope = :scope AND l.source = 'hotline' AND (CAST(:topic AS text) IS NULL OR l.topic = :topic)"
        " ORDER BY l.topic, t.code, l.target_id"), {"scope": scope, "topic": topic})
    links: dict[str, list[dict]] = {}
    for r in rows:
        links.setdefault(r.topic, []).append({"id": r.target_id, "code": r.code, "title": r.title})
    return links


async def topic_months(session: AsyncSession, scope: Scopes, topic: str, year: int) -> dict[date, dict[str, int]]:
    """{month: counts} of one hotline category over a year."""
    rows = await session.execute(text(
        f"SELECT month, {_SUMS} FROM topic_month_counts WHERE scope = ANY(:scopes) AND source = 'hotline'"
        " AND topic = :topic AND month BETWEEN :first AND :last GROUP BY month"),
        {"scopes": _any(scope), "topic": topic, "first": date(year, 1, 1), "last": date(year, 12, 1)})
    return {r.month: _counts(r) for r in rows}


async def topic_known(session: AsyncSession, scope: Scopes, topic: str, links_scope: str | None = None) -> bool:
    """Whether the category ever had an order in the scope(s) (any month) or is linked to a target of
    links_scope (by default the scope itself)."""
    scopes = _any(scope)
    return bool(await session.scalar(text(
        "SELECT EXISTS (SELECT 1 FROM topic_month_counts WHERE scope = ANY(:scopes) AND source = 'hotline'"
        " AND topic = :topic) OR EXISTS (SELECT 1 FROM topic_target_links WHERE scope = :links AND topic = :topic)"),
        {"scopes": scopes, "topic": topic, "links": links_scope or scopes[0]}))


def _counts(row) -> dict[str, int]:
    return {c: getattr(row, c) for c in COUNTERS}


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

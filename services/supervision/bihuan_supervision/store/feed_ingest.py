"""Storing a validated batch: COPY into a staging table, then one statement that upserts the records (a newer
version only), and adds to the unit / topic / day counts the new contributions minus the ones they replace.

Ingestion of one source in one scope is serialised with a transaction-level advisory lock: the statement reads the
replaced rows and writes their successors from one snapshot, which is exact only when no other batch of the same
records commits in between. COPY and the upsert of a 10,000-record batch take tens of milliseconds, so one writer
per source is not the bottleneck; validation (in parallel API processes) is."""
from dataclasses import dataclass
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_supervision.domain.feeds import COUNTERS, FeedSource
from bihuan_supervision.domain.feeds.common import HEAD_COLUMNS, METRIC_COLUMNS

_SUMS = ", ".join(f"sum(contrib[{i + 1}] * sign) AS {name}" for i, name in enumerate(COUNTERS))
_ADD = ", ".join(f"{name} = t.{name} + excluded.{name}" for name in COUNTERS)
_NAMES = ", ".join(COUNTERS)


@dataclass
class IngestResult:
    stored: int = 0      # first time seen
    updated: int = 0     # a newer version replaced an older one
    unchanged: int = 0   # same or older version than the one held (duplicate or out of order)


@cache
def _statements(source: FeedSource) -> tuple[str, str]:
    table, key = source.table, source.key
    stage = f"stage_{table}"
    cols = ", ".join(source.all_columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in source.all_columns if c not in ("scope", key))
    create = (f"CREATE TEMP TABLE IF NOT EXISTS {stage} "
              f"(LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
    upsert = f"""
WITH up AS (
    INSERT INTO {table} AS t ({cols}) SELECT {cols} FROM {stage}
    ON CONFLICT (scope, {key}) DO UPDATE SET {updates} WHERE t.version < excluded.version
    RETURNING t.{key}, (xmax = 0) AS inserted, t.metric_unit, t.metric_month, t.metric_day, t.metric_topic, t.contrib
), old AS (
    -- every part of one statement reads the snapshot from before it, so these are the replaced versions; only
    -- updated records are looked up (a batch of new records costs no second index probe)
    SELECT t.metric_unit, t.metric_month, t.metric_day, t.metric_topic, t.contrib
    FROM {table} t JOIN up ON up.{key} = t.{key} AND NOT up.inserted WHERE t.scope = $1
), delta AS (
    SELECT metric_unit, metric_month, metric_day, metric_topic, contrib, 1 AS sign FROM up
    UNION ALL
    SELECT metric_unit, metric_month, metric_day, metric_topic, contrib, -1 FROM old
), units AS (
    INSERT INTO unit_month_counts AS t (scope, source, unit, month, {_NAMES})
    SELECT $1, $2, metric_unit, metric_month, {_SUMS} FROM delta WHERE metric_unit IS NOT NULL
    GROUP BY metric_unit, metric_month
    ON CONFLICT (scope, source, unit, month) DO UPDATE SET {_ADD}
    RETURNING t.unit, t.month
), topics AS (
    INSERT INTO topic_month_counts AS t (scope, source, topic, month, {_NAMES})
    SELECT $1, $2, metric_topic, metric_month, {_SUMS} FROM delta WHERE metric_topic IS NOT NULL
    GROUP BY metric_topic, metric_month
    ON CONFLICT (scope, source, topic, month) DO UPDATE SET {_ADD}
), days AS (
    INSERT INTO unit_day_counts AS t (scope, source, unit, day, records)
    SELECT $1, $2, metric_unit, metric_day, sum(contrib[1] * sign) FROM delta WHERE metric_unit IS NOT NULL
    GROUP BY metric_unit, metric_day
    ON CONFLICT (scope, source, unit, day) DO UPDATE SET records = t.records + excluded.records
), late AS (
    -- late data for a closed period: (re)mark its publication so the clock publishes a new revision
    INSERT INTO metric_publications AS p (scope, source, unit, period, period_kind, revision, counts, dirty)
    SELECT DISTINCT $1, $2, u.unit, c.period, c.period_kind, 0, '{{}}'::jsonb, true
    FROM (SELECT DISTINCT unit, month FROM units) u JOIN period_closures c ON c.scope = $1 AND c.period IN (
        to_char(u.month, 'YYYY-MM'), to_char(u.month, 'YYYY-"Q"Q'), to_char(u.month, 'YYYY'))
    ON CONFLICT (scope, source, unit, period) DO UPDATE SET dirty = true
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"""
    return create, upsert


async def ingest_rows(session: AsyncSession, source: FeedSource, scope: str, batch_id: int,
                      rows: list[tuple]) -> IngestResult:
    """Store validated rows (one per key) in the caller's transaction."""
    if not rows:
        return IngestResult()
    create, upsert = _statements(source)
    conn = await (await session.connection()).get_raw_connection()
    apg = conn.driver_connection
    await apg.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"feed:{scope}:{source.name}")
    await apg.execute(create)
    head = (scope, batch_id)
    await apg.copy_records_to_table(f"stage_{source.table}", records=[head + r for r in rows],
                                    columns=source.all_columns)
    stored, updated = await apg.fetchrow(upsert, scope, source.name)
    return IngestResult(stored, updated, len(rows) - stored - updated)


assert HEAD_COLUMNS == ("scope", "batch_id") and METRIC_COLUMNS[-1] == "contrib"

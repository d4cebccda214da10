"""The overdue clock: a worker background task that marks milestones overdue and emits `milestone overdue`.

Exactly once per (milestone, due date), with any number of worker copies and across restarts, because the decision
lives in the database: one statement claims due rows with SKIP LOCKED, stamps `overdue_for` with the due date it
fires for, and the outbox rows are written in the same transaction. A milestone moved to a later date by an
adjustment fires again if that new date passes too."""
import asyncio
import logging
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_execution.clock import today
from bihuan_execution.settings import ExecutionSettings
from bihuan_shared.contracts.execution import MilestoneOverdue
from bihuan_shared.events import new_event
from bihuan_shared.messaging.outbox import record_events
from bihuan_shared.worker import WorkerRuntime

log = logging.getLogger(__name__)

MARK_OVERDUE = text("""
WITH due AS (
    SELECT m.id FROM milestones m JOIN targets t ON t.id = m.target_id
    WHERE m.completed_on IS NULL AND NOT m.withdrawn AND m.due_date < CAST(:today AS date) AND NOT t.cancelled
      AND m.overdue_for IS DISTINCT FROM m.due_date
    ORDER BY m.due_date LIMIT :limit
    FOR UPDATE OF m SKIP LOCKED
)
UPDATE milestones m SET status = 'overdue', overdue_for = m.due_date, event_seq = m.event_seq + 1
FROM due, targets t
WHERE m.id = due.id AND t.id = m.target_id
RETURNING m.id, m.target_id, m.due_date, m.event_seq, t.lead_unit, t.scope
""")

# Status is stored, so it must follow the calendar: pending <-> due_soon, and an open milestone past due is overdue
# (an adjustment may have moved it either way). Only the clock above emits the overdue event.
REFRESH_OPEN = text("""
UPDATE milestones SET status = judged.status
FROM (SELECT id, CASE WHEN due_date < CAST(:today AS date) THEN 'overdue'
                      WHEN due_date - CAST(:today AS date) <= :soon THEN 'due_soon'
                      ELSE 'pending' END AS status
      FROM milestones WHERE completed_on IS NULL) AS judged
WHERE milestones.id = judged.id AND milestones.status <> judged.status
""")


async def mark_overdue_once(session: AsyncSession, settings: ExecutionSettings, day: date) -> int:
    """One batch in one transaction (the caller's); returns how many milestones turned overdue."""
    rows = (await session.execute(MARK_OVERDUE, {"today": day, "limit": settings.overdue_batch_size})).all()
    await record_events(session, [
        new_event(MilestoneOverdue(target_id=r.target_id, milestone_id=r.id, unit=r.lead_unit, due_date=r.due_date),
                  scope=r.scope, aggregate_id=r.id, sequence=r.event_seq)
        for r in rows
    ])
    return len(rows)


async def tick(runtime: WorkerRuntime) -> int:
    settings: ExecutionSettings = runtime.settings  # type: ignore[assignment]
    day = today(settings)
    fired = 0
    while True:
        async with runtime.sessionmaker() as session, session.begin():
            batch = await mark_overdue_once(session, settings, day)
        fired += batch
        if batch < settings.overdue_batch_size:
            break
    async with runtime.sessionmaker() as session, session.begin():
        # SKIP LOCKED is not needed here: this statement emits nothing, so two clocks doing it twice is harmless.
        await session.execute(REFRESH_OPEN, {"today": day, "soon": settings.due_soon_days})
    return fired


async def overdue_clock(runtime: WorkerRuntime, stop: asyncio.Event) -> None:
    settings: ExecutionSettings = runtime.settings  # type: ignore[assignment]
    while not stop.is_set():
        try:
            fired = await tick(runtime)
            if fired:
                log.info("milestones overdue", extra={"count": fired})
        except Exception:
            log.exception("overdue clock failed; will retry")
        try:
            await asyncio.wait_for(stop.wait(), timeout=settings.overdue_clock_seconds)
        except asyncio.TimeoutError:
            pass

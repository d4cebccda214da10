"""The read model applies a consumer batch's events and reassesses the warnings of the targets it touched once, at the
end of the batch, in a fixed number of statements; a batch replayed one by one applies and reassesses after each
event. Real RabbitMQ and PostgreSQL."""
import uuid
from datetime import datetime, timedelta

import aio_pika
import pytest
import pytest_asyncio
import redis.asyncio as redis_async
from sqlalchemy import event, select, text

from bihuan_shared.bus.consumer import EventConsumer
from bihuan_shared.contracts.execution import LagExplained, MilestoneCompleted, MilestoneOverdue, ProgressReported
from bihuan_shared.contracts.planning import (Indicator, MilestoneSnapshot, TargetAdjusted, TargetCancelled,
                                             TargetPublished)
from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.events import Envelope, new_event
from bihuan_shared.testing.services import consume_together
from bihuan_supervision.domain.feeds.common import CST
from bihuan_supervision.events.read_model import HANDLERS
from bihuan_supervision.store.models import MilestoneView, TargetView
from bihuan_supervision.store.warning_tables import Warning

pytestmark = pytest.mark.asyncio(loop_scope="session")
TODAY = datetime.now(CST).date()
CONSUMER = "supervision.read_model"


@pytest_asyncio.fixture(scope="module")
async def db(settings):
    """The consumer's engine counts its statements; dashboards refresh on another engine, outside the count."""
    engine, side = make_engine(settings.database_url, 2), make_engine(settings.database_url, 1)
    statements = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    yield make_sessionmaker(engine), make_sessionmaker(side), statements
    await engine.dispose()
    await side.dispose()


async def apply_together(settings, db, events: list[Envelope], dead: int = 0) -> None:
    """Queue the events first and then start the consumer, so they are applied as one batch."""
    sessionmaker, side, statements = db
    connection = await aio_pika.connect_robust(settings.amqp_url)
    redis = redis_async.from_url(settings.redis_url)
    resources = {"redis": redis, "settings": settings, "sessionmaker": side}

    def consumer() -> EventConsumer:
        return EventConsumer(connection, sessionmaker, CONSUMER, HANDLERS, prefetch=100, max_retries=0,
                             retry_delay_ms=100, resources=resources, batch_wait_ms=300)

    try:
        await consume_together(consumer, settings.amqp_url, events, side, len(events) - dead,
                               before_start=statements.clear)
    finally:
        await connection.close()
    await redis.aclose()


def published(tid: str, leader: str) -> Envelope:
    target = TargetPublished(
        target_id=tid, book_id="B-1", year=TODAY.year, version=1, code=tid, title=f"目标 {tid}", category="key_work",
        lead_unit=f"U-{tid}", leader=leader, indicator=Indicator(kind="quantitative", target_value=100),
        milestones=[MilestoneSnapshot(milestone_id=f"{tid}-M0", seq=1, due_date=TODAY - timedelta(days=1),
                                      expected_value=20),
                    MilestoneSnapshot(milestone_id=f"{tid}-M1", seq=2, due_date=TODAY + timedelta(days=3),
                                      expected_value=30)])
    return new_event(target, scope="demo", aggregate_id=tid, sequence=1)


def progress(tid: str, milestone: str, value: float, sequence: int = 1) -> Envelope:
    return new_event(ProgressReported(report_id=uuid.uuid4().hex, target_id=tid, milestone_id=milestone,
                                      unit=f"U-{tid}", actual_value=value, reported_by="u",
                                      reported_at=datetime.now(CST)), scope="demo", aggregate_id=milestone,
                     sequence=sequence)


def adjusted(tid: str, title: str) -> Envelope:
    snapshot = published(tid, "L-1").payload | dict(version=2, title=title)
    return new_event(TargetAdjusted(**snapshot, adjustment_id=f"ADJ-{tid}", reason="调整"), scope="demo",
                     aggregate_id=tid, sequence=2)


def completed(tid: str, milestone: str, sequence: int) -> Envelope:
    return new_event(MilestoneCompleted(target_id=tid, milestone_id=milestone, unit=f"U-{tid}", due_date=TODAY,
                                        completed_on=TODAY, timeliness="late", report_id=uuid.uuid4().hex),
                     scope="demo", aggregate_id=milestone, sequence=sequence)


def overdue(tid: str, milestone: str, sequence: int) -> Envelope:
    return new_event(MilestoneOverdue(target_id=tid, milestone_id=milestone, unit=f"U-{tid}", due_date=TODAY),
                     scope="demo", aggregate_id=milestone, sequence=sequence)


def lag(tid: str) -> Envelope:
    return new_event(LagExplained(lag_id=uuid.uuid4().hex, target_id=tid, milestone_id=f"{tid}-M0", unit=f"U-{tid}",
                                  reason_kind="objective", reason_category="weather", explanation="连续降雨",
                                  explained_by="u", explained_at=datetime.now(CST)),
                     scope="demo", aggregate_id=uuid.uuid4().hex, sequence=1)


def cancelled(tid: str) -> Envelope:
    return new_event(TargetCancelled(target_id=tid, version=2, adjustment_id=f"ADJ-{tid}", reason="合并"),
                     scope="demo", aggregate_id=tid, sequence=2)


async def open_warnings(db, prefix: str) -> set:
    async with db[1]() as s:
        rows = (await s.execute(select(Warning.kind, Warning.subject).where(
            Warning.status == "open", Warning.target_id.like(f"{prefix}%")))).all()
    return {tuple(r) for r in rows}


async def warning_events(db, prefix: str) -> list[tuple[str, str, str, str]]:
    """(event type, kind, subject, causation) of the warning events in the outbox for these targets."""
    async with db[1]() as s:
        rows = (await s.execute(text("SELECT event_type, convert_from(body, 'UTF8')::jsonb AS e FROM outbox "
                                     "WHERE event_type LIKE 'supervision.warning.%' ORDER BY id"))).all()
    return [(r.event_type.rsplit(".", 1)[1], r.e["payload"]["kind"], r.e["payload"]["subject"], r.e["causation_id"])
            for r in rows if (r.e["payload"]["target_id"] or "").startswith(prefix)]


async def test_a_batch_reassesses_each_touched_target_once_at_its_end(settings, db):
    last_lag = lag("B-T2")
    events = [published("B-T1", "L-1"), published("B-T2", "L-2"), published("B-T3", "L-3"),
              progress("B-T1", "B-T1-M1", 1), lag("B-T2"), last_lag, cancelled("B-T3")]
    await apply_together(settings, db, events)
    assert await open_warnings(db, "B-") == {
        ("overdue", "B-T1-M0"), ("behind_trajectory", "B-T1"),  # M1 reported: no due_soon; 1 is far below 22.5
        ("overdue", "B-T2-M0"), ("due_soon", "B-T2-M1"), ("repeated_lags", "B-T2")}  # B-T3 cancelled: none
    raised = await warning_events(db, "B-")
    # only the end state of the batch is published: T1's due_soon and T3's warnings never were open after a commit
    assert sorted((kind, subject) for verb, kind, subject, _ in raised) == sorted(await open_warnings(db, "B-"))
    assert {verb for verb, *_ in raised} == {"raised"}
    # a warning's cause is the last event of the batch about its target
    assert {cause for _, _, subject, cause in raised if subject.startswith("B-T2")} == {str(last_lag.event_id)}
    # the three targets' warnings: each of these once for all of them, not once per event or per target
    statements = [" ".join(s.split()) for s in db[2]]
    for part in ("FROM warnings", "WHERE lags_seen.target_id IN", "WHERE target_views.id IN",
                 "WHERE milestone_views.target_id IN", "INSERT INTO warnings"):
        assert sum(part in s for s in statements) == 1, part


async def test_a_batch_replayed_one_by_one_reassesses_after_each_event(settings, db):
    # progress on a milestone the read model does not know fails the batch; the others are applied one by one
    events = [published("R-T1", "L-1"), progress("R-T1", "MS-NOWHERE", 5), progress("R-T1", "R-T1-M1", 25)]
    await apply_together(settings, db, events, dead=1)
    assert await open_warnings(db, "R-") == {("overdue", "R-T1-M0")}  # 25 is ahead of the 22.5 expected today
    assert [(verb, kind) for verb, kind, *_ in await warning_events(db, "R-")] == [
        ("raised", "overdue"), ("raised", "due_soon"), ("cleared", "due_soon")]


async def test_a_batch_writes_the_read_model_in_a_fixed_number_of_statements(settings, db):
    """Forty events about ten known targets: each table written once per kind of row, whatever the batch's size;
    the events still folded in order (a stale progress report skipped, an overdue after completion keeping it done)."""
    targets = [f"K-T{i}" for i in range(10)]
    await apply_together(settings, db, [published(tid, "L-1") for tid in targets])
    events = []
    for tid in targets:
        events += [adjusted(tid, f"调整后 {tid}"), completed(tid, f"{tid}-M0", 1), overdue(tid, f"{tid}-M0", 2),
                   progress(tid, f"{tid}-M1", 25, sequence=2), progress(tid, f"{tid}-M1", 99, sequence=1)]
    events.append(published("K-T0", "L-1"))  # an older version, after the adjustment: skipped
    await apply_together(settings, db, events)
    statements = [" ".join(s.split()) for s in db[2]]
    for table in ("target_views", "milestone_views"):
        writes = [s for s in statements if s.startswith((f"INSERT INTO {table}", f"UPDATE {table}"))]
        assert len(writes) == 1, writes  # the known rows, rewritten in one statement
        assert sum(table in s for s in statements) == 3, table  # plus the batch's lock and the reassessment's read
    assert len(statements) <= 20, statements  # for 51 events; one at a time was more than two per event
    async with db[1]() as s:
        views = {v.id: v for v in (await s.scalars(select(TargetView).where(TargetView.id.like("K-%")))).all()}
        milestones = {m.id: m for m in (await s.scalars(select(MilestoneView).where(
            MilestoneView.target_id.like("K-%")))).all()}
    assert sorted((v.version, v.title) for v in views.values()) == sorted((2, f"调整后 {tid}") for tid in targets)
    assert {(m.status, m.completed_on, m.exec_seq) for k, m in milestones.items() if k.endswith("M0")} == {
        ("done_late", TODAY, 2)}
    assert {(m.status, m.latest_value, m.exec_seq) for k, m in milestones.items() if k.endswith("M1")} == {
        ("pending", 25, 2)}

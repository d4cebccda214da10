"""Execution's copy of the target book applies a consumer batch of planning's events at once: the touched targets
and their milestones are loaded and written in a fixed number of statements, whatever the batch's size, with the
same result as one event at a time (versions, moved and withdrawn milestones, progress kept, cancellations,
redeliveries). Real RabbitMQ and PostgreSQL."""
import uuid
from datetime import date, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import event, select, update

from bihuan_execution.events.targets import HANDLERS
from bihuan_execution.store.models import MilestoneCopy, TargetCopy
from bihuan_execution.testing import DAY0, SCOPE, adjusted, published, snapshot
from bihuan_shared.bus.connection import connect
from bihuan_shared.bus.consumer import EventConsumer
from bihuan_shared.contracts.planning import TargetCancelled
from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.events import Envelope, new_event
from bihuan_shared.testing.services import consume_together

pytestmark = pytest.mark.asyncio(loop_scope="session")
CONSUMER = "execution.targets"


@pytest_asyncio.fixture(scope="module")
async def db(settings):
    """The consumer's engine counts its statements; the test reads through another engine, outside the count."""
    engine, side = make_engine(settings.database_url, 2), make_engine(settings.database_url, 1)
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute",
                 lambda *args: statements.append(" ".join(args[2].split())))
    yield make_sessionmaker(engine), make_sessionmaker(side), statements
    await engine.dispose()
    await side.dispose()


async def apply_together(settings, db, events: list[Envelope], applied: int | None = None) -> list[str]:
    """Queue the events, then start the consumer so they arrive as one batch; returns its SQL statements."""
    sessionmaker, side, statements = db
    connection = await connect(settings.amqp_url, "execution-batch-test")

    def consumer() -> EventConsumer:
        return EventConsumer(connection, sessionmaker, CONSUMER, HANDLERS, prefetch=100, max_retries=0,
                             retry_delay_ms=100, resources={"settings": settings}, batch_wait_ms=300)

    try:
        await consume_together(consumer, settings.amqp_url, events, side, applied, before_start=statements.clear)
    finally:
        await connection.close()
    return list(statements)


def cancelled(snap: dict, sequence: int) -> Envelope:
    return new_event(TargetCancelled(target_id=snap["target_id"], version=snap["version"] + 1,
                                     adjustment_id=uuid.uuid4().hex, reason="合并"),
                     scope=SCOPE, aggregate_id=snap["target_id"], sequence=sequence)


async def target(db, target_id: str) -> tuple[TargetCopy | None, dict[str, MilestoneCopy]]:
    async with db[1]() as s:
        t = await s.get(TargetCopy, target_id)
        return t, {m.id: m for m in (t.milestones if t else [])}


def days(n: int) -> date:
    return DAY0 + timedelta(days=n)


def moved(snap: dict, index: int, due: date) -> dict:
    milestones = [dict(m) for m in snap["milestones"]]
    milestones[index]["due_date"] = due.isoformat()
    return dict(snap, milestones=milestones)


async def test_one_batch_applies_versions_in_order_as_one_event_at_a_time_would(settings, db):
    a = snapshot("B-A", "U-A", [days(-3), days(3), days(60)], responsible=("U-R",), cooperating=("U-C",))
    a2 = moved(a, 0, days(20))  # version 2: milestone 1 moved later, milestone 2 dropped, a new one added
    a2["milestones"] = [a2["milestones"][0], a2["milestones"][2],
                        {"milestone_id": uuid.uuid4().hex, "seq": 3, "due_date": days(90).isoformat(),
                         "expected_value": 9.0, "deliverable": None}]
    a2 = dict(a2, title="目标 B-A 调整后", lead_unit="U-A2")
    b, c = snapshot("B-B", "U-B", [days(10)]), snapshot("B-C", "U-C", [days(-1)])
    stale = published(dict(a, title="过时的版本"), SCOPE)  # version 1 again, arriving after version 2
    await apply_together(settings, db, [published(a, SCOPE), adjusted(a2, SCOPE, 2), stale, published(b, SCOPE),
                                        cancelled(b, 2), cancelled(c, 2), published(c, SCOPE)])
    t, ms = await target(db, a["target_id"])
    assert (t.version, t.event_seq, t.title, t.lead_unit, t.cancelled) == (2, 2, "目标 B-A 调整后", "U-A2", False)
    assert (t.responsible_units, t.cooperating_units, t.indicator["target_value"]) == (["U-R"], ["U-C"], 3.0)
    first, dropped, kept = (a["milestones"][i]["milestone_id"] for i in range(3))
    new = a2["milestones"][2]["milestone_id"]
    assert {m: (ms[m].due_date, ms[m].status, ms[m].withdrawn) for m in ms} == {
        first: (days(20), "pending", False),  # was overdue at day -3; moved to day 20
        dropped: (days(3), "due_soon", True),  # withdrawn, not deleted
        kept: (days(60), "pending", False), new: (days(90), "pending", False)}
    assert (ms[new].seq, ms[new].expected_value, ms[new].event_seq, ms[new].completed_on) == (3, 9.0, 0, None)
    t, _ = await target(db, b["target_id"])
    assert (t.cancelled, t.event_seq) == (True, 2)
    t, ms = await target(db, c["target_id"])  # a cancellation ahead of its target is ignored, as before
    assert (t.cancelled, t.event_seq, [m.status for m in ms.values()]) == (False, 1, ["overdue"])


async def test_a_new_version_keeps_reported_progress_and_rejudges_it_against_the_moved_date(settings, db):
    snap = snapshot("P-A", "U-P", [days(5), days(40)])
    await apply_together(settings, db, [published(snap, SCOPE)])
    done, later = (m["milestone_id"] for m in snap["milestones"])
    async with db[1]() as s, s.begin():  # progress reported and the milestone completed, as the API does
        await s.execute(update(MilestoneCopy).where(MilestoneCopy.id == done).values(
            completed_on=days(4), latest_value=1.0, status="done_early", event_seq=2))
    await apply_together(settings, db, [adjusted(moved(snap, 0, days(2)), SCOPE, 2)])
    _, ms = await target(db, snap["target_id"])
    assert (ms[done].completed_on, ms[done].latest_value, ms[done].event_seq, ms[done].status) == (
        days(4), 1.0, 2, "done_late")  # completed on day 4, now due on day 2
    assert ms[later].status == "pending"


async def test_redelivered_and_repeated_events_change_nothing(settings, db):
    snap = snapshot("D-A", "U-D", [days(30)])
    first = published(snap, SCOPE)
    await apply_together(settings, db, [first, first])
    again = adjusted(dict(snap, title="第二版"), SCOPE, 2)
    await apply_together(settings, db, [again, first])  # the inbox drops the old event, whatever its order
    await apply_together(settings, db, [again])
    t, ms = await target(db, snap["target_id"])
    assert (t.title, t.event_seq, len(ms)) == ("第二版", 2, 1)


async def test_a_batch_costs_a_fixed_number_of_statements_whatever_its_size(settings, db):
    snaps = [snapshot(f"S-{i}", "U-S", [days(10), days(40), days(70)]) for i in range(30)]
    statements = await apply_together(settings, db, [published(s, SCOPE) for s in snaps])
    # 30 new targets with 90 milestones: the inbox claim, one load, one insert per table, however many events
    assert len(statements) <= 5, statements
    for part in ("INSERT INTO targets", "INSERT INTO milestones", "FROM targets"):
        assert sum(part in s for s in statements) == 1, part
    # a new version of each: one load per table, one write per table and kind of row (new / known)
    later = [adjusted(dict(moved(s, 1, days(50)), milestones=moved(s, 1, days(50))["milestones"] + [
        {"milestone_id": uuid.uuid4().hex, "seq": 4, "due_date": days(99).isoformat(), "expected_value": 4.0,
         "deliverable": None}]), SCOPE, 2) for s in snaps]
    statements = await apply_together(settings, db, later + [cancelled(s, 3) for s in snaps[:10]])
    assert len(statements) <= 8, statements
    assert sum("FROM milestones" in s for s in statements) == 1
    assert sum("INSERT INTO milestones" in s for s in statements) == 2  # the new ones, the known ones
    assert sum("INSERT INTO targets" in s or "UPDATE targets" in s for s in statements) == 1
    async with db[1]() as s:
        rows = (await s.execute(select(TargetCopy.cancelled, TargetCopy.event_seq).where(
            TargetCopy.id.in_([x["target_id"] for x in snaps])))).all()
    assert sorted(rows) == [(False, 2)] * 20 + [(True, 3)] * 10


async def test_a_failing_batch_is_replayed_one_by_one_and_only_the_bad_event_is_lost(settings, db):
    good, other = snapshot("F-A", "U-F", [days(10)]), snapshot("F-B", "U-F", [days(10)])
    # a target reusing another target's milestone id can never be stored: it is dead-lettered, the rest applied
    bad = dict(snapshot("F-X", "U-F", [days(10)]), milestones=good["milestones"])
    await apply_together(settings, db, [published(good, SCOPE), published(bad, SCOPE), published(other, SCOPE)],
                         applied=2)
    assert (await target(db, good["target_id"]))[0] is not None
    assert (await target(db, other["target_id"]))[0] is not None
    assert (await target(db, bad["target_id"]))[0] is None

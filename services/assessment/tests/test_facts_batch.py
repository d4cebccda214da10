"""Assessment's facts consumer applies a batch of events at once: the touched target and milestone facts are loaded
and written in a fixed number of statements, and the other inputs in one statement per kind, whatever the batch's
size, with the same result as one event at a time (versions, adjustments, execution's sequence, the latest lag
reason, the highest metrics revision, redeliveries). A database and a vhost of its own; real RabbitMQ and PostgreSQL."""
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import event, select, text

from bihuan_assessment.settings import AssessmentSettings
from bihuan_assessment.main import MIGRATIONS
from bihuan_assessment.store.models import Evaluation, MetricFact, MilestoneFact, TargetFact, UnitFact
from bihuan_assessment.worker import runtime
from bihuan_shared.bus.connection import connect
from bihuan_shared.bus.consumer import EventConsumer
from bihuan_shared.contracts.execution import CooperationRated, LagExplained, MilestoneCompleted, MilestoneOverdue
from bihuan_shared.contracts.planning import (Indicator, MilestoneSnapshot, TargetAdjusted, TargetCancelled,
                                              TargetPublished, UnitRegistered, UnitUpdated)
from bihuan_shared.contracts.supervision import UnitMetricsPublished
from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.events import Envelope, new_event
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.infra import create_vhost, delete_vhost
from bihuan_shared.testing.services import consume_together

pytestmark = pytest.mark.asyncio(loop_scope="session")
CONSUMER = "assessment.facts"
SCOPE = "facts-batch"
DUE = date(2026, 3, 31)
NOW = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)


@pytest_asyncio.fixture(scope="module")
async def db(make_database, infra, run_id):
    """The consumer's engine counts its statements; the test reads through another engine, outside the count."""
    url = await make_database("assessment_facts_batch")
    await upgrade_async(MIGRATIONS, url)
    vhost = f"bihuan_test_{run_id}_assessment_facts_batch"
    create_vhost(infra, vhost)
    settings = AssessmentSettings(database_url=url, amqp_url=infra.vhost_url(vhost), redis_url=infra.redis_url)
    engine, side = make_engine(url, 2), make_engine(url, 1)
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute",
                 lambda *args: statements.append(" ".join(args[2].split())))
    yield settings, make_sessionmaker(engine), make_sessionmaker(side), statements
    await engine.dispose()
    await side.dispose()
    delete_vhost(infra, vhost)


async def apply_together(db, events: list[Envelope], max_retries: int = 0) -> list[str]:
    """Queue the events, then start the worker's facts consumer so they arrive as one batch; returns its SQL."""
    settings, sessionmaker, side, statements = db
    handlers = next(spec.handlers for spec in runtime(settings).consumers if spec.purpose == "facts")
    connection = await connect(settings.amqp_url, "assessment-facts-batch-test")

    def consumer() -> EventConsumer:
        return EventConsumer(connection, sessionmaker, CONSUMER, handlers, prefetch=200, batch_size=200,
                             max_retries=max_retries, retry_delay_ms=100, resources={"settings": settings},
                             batch_wait_ms=300)

    try:
        await consume_together(consumer, settings.amqp_url, events, side, before_start=statements.clear)
    finally:
        await connection.close()
    return list(statements)


def target(tid: str, sequence: int = 1, dues: tuple[date, ...] = (DUE, DUE + timedelta(days=91)), version: int = 1,
           adjustment: bool = False, **fields) -> Envelope:
    body = dict(target_id=tid, book_id="B", year=2026, version=version, code=tid, title=f"目标 {tid}",
                category="key_work", lead_unit="U-1", indicator=Indicator(kind="qualitative"),
                milestones=[MilestoneSnapshot(milestone_id=f"{tid}-m{i + 1}", seq=i + 1, due_date=d)
                            for i, d in enumerate(dues)]) | fields
    payload = (TargetAdjusted(**body, adjustment_id=uuid.uuid4().hex, reason="调整") if adjustment
               else TargetPublished(**body))
    return new_event(payload, scope=SCOPE, aggregate_id=tid, sequence=sequence)


def cancelled(tid: str, sequence: int) -> Envelope:
    return new_event(TargetCancelled(target_id=tid, version=sequence, adjustment_id="A", reason="撤销"), scope=SCOPE,
                     aggregate_id=tid, sequence=sequence)


def completed(mid: str, sequence: int, on: date = DUE) -> Envelope:
    return new_event(MilestoneCompleted(target_id=mid.split("-m")[0], milestone_id=mid, unit="U-1", due_date=DUE,
                                        completed_on=on, timeliness="late" if on > DUE else "on_time", report_id="r"),
                     scope=SCOPE, aggregate_id=mid, sequence=sequence)


def overdue(mid: str, sequence: int) -> Envelope:
    return new_event(MilestoneOverdue(target_id=mid.split("-m")[0], milestone_id=mid, unit="U-1", due_date=DUE),
                     scope=SCOPE, aggregate_id=mid, sequence=sequence)


def lag(mid: str, kind: str, at: datetime) -> Envelope:
    return new_event(LagExplained(lag_id=uuid.uuid4().hex, target_id=mid.split("-m")[0], milestone_id=mid, unit="U-1",
                                  reason_kind=kind, reason_category="weather", explanation="雨", explained_by="u",
                                  explained_at=at), scope=SCOPE, aggregate_id=uuid.uuid4().hex, sequence=1)


async def facts(db, model, *keys):
    async with db[2]() as s:
        return await s.get(model, keys if len(keys) > 1 else keys[0])


async def test_one_batch_applies_target_and_execution_facts_as_one_event_at_a_time_would(db):
    first_lag, late_lag = lag("A-m2", "subjective", NOW), lag("A-m2", "objective", NOW + timedelta(hours=1))
    done = completed("A-m2", 2, DUE + timedelta(days=3))
    new_version = target("A", 2, dues=(DUE + timedelta(days=30),), version=2, adjustment=True, title="调整后",
                         weight=2.0, responsible_units=["U-2"])
    events = [target("A"), overdue("A-m2", 1), late_lag, first_lag, done, overdue("A-m2", 1), new_version,
              target("A", title="过时的版本"), target("B"), cancelled("B", 2), cancelled("C", 2), target("C")]
    await apply_together(db, events)
    a = await facts(db, TargetFact, "A")
    assert (a.version, a.event_seq, a.title, a.weight, a.responsible_units, a.adjusted, a.event_id, a.cancelled) == (
        2, 2, "调整后", 2.0, ["U-2"], True, str(new_version.event_id), False)
    m1, m2 = await facts(db, MilestoneFact, "A-m1"), await facts(db, MilestoneFact, "A-m2")
    assert m1.due_date == DUE + timedelta(days=30)  # moved by the adjustment
    assert m2.due_date == DUE + timedelta(days=91)  # dropped by it: kept as it was
    assert (m2.completed_on, m2.timeliness, m2.overdue, m2.exec_seq, m2.exec_event_id) == (
        DUE + timedelta(days=3), "late", True, 2, str(done.event_id))
    assert (m2.lag_kind, m2.lag_event_id) == ("objective", str(late_lag.event_id))  # the latest explanation wins
    assert ((await facts(db, TargetFact, "B")).cancelled, (await facts(db, TargetFact, "B")).event_seq) == (True, 2)
    assert (await facts(db, TargetFact, "C")).cancelled is False  # a cancellation ahead of its target is ignored


async def test_an_execution_fact_ahead_of_its_target_is_retried_until_the_target_arrives(db):
    # the milestone is unknown when its completion is applied: the batch is replayed, that event retried later
    await apply_together(db, [completed("R-m1", 1), target("R")], max_retries=3)
    m = await facts(db, MilestoneFact, "R-m1")
    assert (m.completed_on, m.exec_seq) == (DUE, 1)


async def test_redelivered_events_change_nothing(db):
    once = completed("D-m1", 1)
    await apply_together(db, [target("D"), once, once])
    await apply_together(db, [once, overdue("D-m1", 1)])  # stale: execution's sequence already at 1
    m = await facts(db, MilestoneFact, "D-m1")
    assert (m.exec_seq, m.overdue, m.exec_event_id) == (1, False, str(once.event_id))


async def test_a_batch_of_facts_costs_a_fixed_number_of_statements_whatever_its_size(db):
    tids = [f"S{i}" for i in range(30)]
    statements = await apply_together(db, [target(t) for t in tids])
    # 30 new targets with 60 milestones: the inbox claim, one load and one insert per table
    assert len(statements) <= 5, statements
    for part in ("INSERT INTO target_facts", "INSERT INTO milestone_facts", "FROM target_facts",
                 "FROM milestone_facts"):
        assert sum(part in s for s in statements) == 1, part
    events = ([completed(f"{t}-m1", 1) for t in tids] + [lag(f"{t}-m2", "objective", NOW) for t in tids]
              + [target(t, 2, version=2, adjustment=True) for t in tids[:10]] + [cancelled(t, 3) for t in tids[:5]])
    statements = await apply_together(db, events)
    assert len(statements) <= 7, statements
    for part in ("FROM target_facts", "FROM milestone_facts"):
        assert sum(part in s for s in statements) == 1, part
    async with db[2]() as s:
        done = await s.scalar(select(text("count(*)")).select_from(MilestoneFact).where(
            MilestoneFact.target_id.in_(tids), MilestoneFact.completed_on.is_not(None)))
        kept = (await s.execute(select(TargetFact.adjusted, TargetFact.cancelled).where(TargetFact.id.in_(tids)))).all()
    assert done == 30
    assert sorted(kept) == [(False, False)] * 20 + [(True, False)] * 5 + [(True, True)] * 5


async def test_units_metrics_and_ratings_of_a_batch_take_one_statement_per_kind(db):
    units = [new_event(UnitRegistered(unit_code=f"U-{i}", name=f"单位 {i}", kind="territorial", assessment_group="G1"),
                       scope=SCOPE, aggregate_id=f"U-{i}", sequence=1) for i in range(10)]
    renamed = new_event(UnitUpdated(unit_code="U-0", name="改名", kind="territorial", assessment_group="G2"),
                        scope=SCOPE, aggregate_id="U-0", sequence=2)
    stale = new_event(UnitUpdated(unit_code="U-0", name="旧名", kind="territorial"), scope=SCOPE, aggregate_id="U-0",
                      sequence=1)

    def metrics(revision: int, rate: float) -> Envelope:
        return new_event(UnitMetricsPublished(unit="U-1", period="2026-03", period_kind="month", source="hotline",
                                              revision=revision, metrics={"resolution_rate": rate}),
                         scope=SCOPE, aggregate_id="U-1", sequence=revision)

    def rating(score: float, comment: str) -> Envelope:
        return new_event(CooperationRated(request_id="Q", target_id="A", lead_unit="U-1", cooperating_unit="U-2",
                                          rating=score, comment=comment, rated_by="x", rated_at=NOW),
                         scope=SCOPE, aggregate_id="Q", sequence=1)
    statements = await apply_together(db, [*units, renamed, stale, metrics(2, 0.9), metrics(1, 0.1), metrics(3, 0.8),
                                           rating(80, "初评"), rating(120, "复评")])
    u0 = await facts(db, UnitFact, SCOPE, "U-0")
    assert (u0.name, u0.assessment_group, u0.event_seq) == ("改名", "G2", 2)
    m = await facts(db, MetricFact, SCOPE, "U-1", "2026-03", "hotline")
    assert (m.revision, m.metrics) == (3, {"resolution_rate": 0.8})
    async with db[2]() as s:
        scores = (await s.execute(select(Evaluation.score, Evaluation.comment).where(
            Evaluation.scope == SCOPE, Evaluation.kind == "cooperation"))).all()
    assert [tuple(r) for r in scores] == [(100.0, "复评")]  # the last rating counts, clamped to 100
    assert len(statements) <= 4, statements  # the inbox claim and one upsert per kind

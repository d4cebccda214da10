"""An event applies only to records of the scope its envelope claims (issue 12 #10). Events labelled with one district
for another district's target, milestone or matter are published to the real broker, as anyone who can reach it
could; each consuming service dead-letters them with the reason and leaves the record as it was, while the good
events of the same batch are applied. Real RabbitMQ and PostgreSQL, each service's own migrated database."""
import uuid
from datetime import datetime, timedelta

import pytest
import pytest_asyncio
import redis.asyncio as redis_async

from bihuan_assessment.events.facts import HANDLERS as ASSESSMENT_HANDLERS
from bihuan_assessment.main import MIGRATIONS as ASSESSMENT_MIGRATIONS
from bihuan_assessment.store.models import MilestoneFact, TargetFact
from bihuan_execution.events.targets import HANDLERS as EXECUTION_HANDLERS
from bihuan_execution.main import MIGRATIONS as EXECUTION_MIGRATIONS
from bihuan_execution.settings import ExecutionSettings
from bihuan_execution.store.models import TargetCopy
from bihuan_execution.testing import DAY0, adjusted, published, snapshot
from bihuan_shared.bus.connection import connect
from bihuan_shared.bus.consumer import REASON_HEADER, EventConsumer
from bihuan_shared.contracts.execution import MatterAnswered, MatterRaised, MilestoneCompleted, ProgressReported
from bihuan_shared.contracts.planning import TargetCancelled
from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.events import Envelope, new_event
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.dead_letters import settle
from bihuan_supervision.events.matters import HANDLERS as MATTER_HANDLERS
from bihuan_supervision.events.read_model import HANDLERS as READ_MODEL_HANDLERS
from bihuan_supervision.main import MIGRATIONS as SUPERVISION_MIGRATIONS
from bihuan_supervision.settings import SupervisionSettings
from bihuan_supervision.store.matter_tables import MatterView
from bihuan_supervision.store.models import MilestoneView, TargetView

pytestmark = pytest.mark.asyncio(loop_scope="session")
OURS, THEIRS = "xuhui", "minhang"  # the record's district, and the one a forged envelope claims


async def migrated(make_database, name: str, migrations):
    url = await make_database(f"event_scope_{name}")
    await upgrade_async(migrations, url)
    return url


@pytest_asyncio.fixture(scope="module")
async def service_db(make_database):
    """(sessionmaker, url) of a migrated database per service, made on first use."""
    made, engines = {}, []

    async def get(name: str, migrations):
        if name not in made:
            url = await migrated(make_database, name, migrations)
            engine = make_engine(url, 3)
            engines.append(engine)
            made[name] = (make_sessionmaker(engine), url)
        return made[name]

    yield get
    for engine in engines:
        await engine.dispose()


async def run(vhost_url: str, sessionmaker, handlers: dict, resources: dict, messages: list[Envelope],
              applied: list[Envelope], dead: int) -> dict[str, str]:
    """Apply `messages` as one consumer batch; {event id: dead-letter reason} of the refused ones."""
    connection = await connect(vhost_url, "event-scope-test")
    name = f"hostile.scope.{uuid.uuid4().hex[:8]}"  # a queue and inbox of its own per test

    def consumer() -> EventConsumer:
        return EventConsumer(connection, sessionmaker, name, handlers, prefetch=100, max_retries=0,
                             retry_delay_ms=100, resources=resources, batch_wait_ms=300)

    try:
        parked = await settle(consumer, vhost_url, messages, sessionmaker, applied=applied, dead=dead)
    finally:
        await connection.close()
    return {m.message_id: m.headers[REASON_HEADER] for m in parked}


def relabelled(envelope: Envelope, scope: str) -> Envelope:
    return envelope.model_copy(update={"scope": scope, "event_id": uuid.uuid4()})


def at(days: int):
    return DAY0 + timedelta(days=days)


def completed(snap: dict, index: int, scope: str, sequence: int = 1, target_id: str | None = None) -> Envelope:
    m = snap["milestones"][index]
    return new_event(MilestoneCompleted(target_id=target_id or snap["target_id"], milestone_id=m["milestone_id"],
                                        unit=snap["lead_unit"], due_date=m["due_date"], completed_on=DAY0,
                                        timeliness="early", report_id=uuid.uuid4().hex),
                     scope=scope, aggregate_id=m["milestone_id"], sequence=sequence)


def progress(snap: dict, index: int, scope: str, value: float, sequence: int = 1) -> Envelope:
    m = snap["milestones"][index]
    return new_event(ProgressReported(report_id=uuid.uuid4().hex, target_id=snap["target_id"],
                                      milestone_id=m["milestone_id"], unit=snap["lead_unit"], actual_value=value,
                                      reported_by="u", reported_at=datetime.now()),
                     scope=scope, aggregate_id=m["milestone_id"], sequence=sequence)


def cancelled(snap: dict, scope: str, sequence: int) -> Envelope:
    return new_event(TargetCancelled(target_id=snap["target_id"], version=snap["version"] + 1,
                                     adjustment_id=uuid.uuid4().hex, reason="合并"),
                     scope=scope, aggregate_id=snap["target_id"], sequence=sequence)


def assert_refused(reasons: dict[str, str], *events: Envelope) -> None:
    assert set(reasons) == {str(e.event_id) for e in events}
    for reason in reasons.values():
        assert "ScopeMismatch" in reason and "belongs to" in reason, reason


async def test_execution_refuses_planning_events_labelled_with_another_district(vhost_url, service_db):
    sessionmaker, url = await service_db("execution", EXECUTION_MIGRATIONS)
    resources = {"settings": ExecutionSettings(database_url=url, today=DAY0)}
    ours = snapshot("S-E1", "U-1", [at(10), at(40)])
    other = snapshot("S-E2", "U-2", [at(10)])
    first = published(ours, OURS)
    await run(vhost_url, sessionmaker, EXECUTION_HANDLERS, resources, [first], [first], 0)

    forged_adjust = adjusted(dict(ours, title="改写"), THEIRS, sequence=2)
    forged_cancel = cancelled(ours, THEIRS, sequence=3)
    good = published(other, OURS)
    reasons = await run(vhost_url, sessionmaker, EXECUTION_HANDLERS, resources,
                        [forged_adjust, good, forged_cancel], [good], 2)

    assert_refused(reasons, forged_adjust, forged_cancel)
    async with sessionmaker() as s:
        target = await s.get(TargetCopy, ours["target_id"])
        assert (target.scope, target.title, target.version, target.event_seq, target.cancelled) == (
            OURS, ours["title"], 1, 1, False)
        assert (await s.get(TargetCopy, other["target_id"])).scope == OURS  # the batch's good event applied


@pytest_asyncio.fixture(scope="module")
async def supervision(vhost_url, service_db, infra, redis_prefix):
    sessionmaker, url = await service_db("supervision", SUPERVISION_MIGRATIONS)
    redis = redis_async.from_url(infra.redis_url)
    settings = SupervisionSettings(database_url=url, redis_url=infra.redis_url,
                                   redis_prefix=f"{redis_prefix}_event_scope")
    yield sessionmaker, {"redis": redis, "settings": settings, "sessionmaker": sessionmaker}
    await redis.aclose()


SUPERVISION_HANDLERS = {**READ_MODEL_HANDLERS, **MATTER_HANDLERS}


async def test_supervision_refuses_progress_and_milestone_events_of_another_district(vhost_url, supervision):
    sessionmaker, resources = supervision
    ours, theirs = snapshot("S-S1", "U-1", [at(-2), at(30)]), snapshot("S-S2", "U-2", [at(5)])
    setup = [published(ours, OURS), published(theirs, THEIRS)]
    await run(vhost_url, sessionmaker, SUPERVISION_HANDLERS, resources, setup, setup, 0)

    forged_progress = progress(ours, 1, THEIRS, 99)
    forged_completion = completed(ours, 0, THEIRS)
    # labelled with the other district and naming its target, for a milestone of ours
    borrowed = completed(ours, 1, THEIRS, target_id=theirs["target_id"])
    good = progress(ours, 1, OURS, 5)
    reasons = await run(vhost_url, sessionmaker, SUPERVISION_HANDLERS, resources,
                        [forged_progress, forged_completion, borrowed, good], [good], 3)

    assert set(reasons) == {str(e.event_id) for e in (forged_progress, forged_completion, borrowed)}
    assert "belongs to scope" in reasons[str(forged_progress.event_id)]
    assert "belongs to" in reasons[str(borrowed.event_id)]
    async with sessionmaker() as s:
        m0, m1 = [await s.get(MilestoneView, m["milestone_id"]) for m in ours["milestones"]]
        assert (m0.completed_on, m0.exec_seq) == (None, 0)
        assert (m1.latest_value, m1.completed_on) == (5, None)  # only the good report
        assert (await s.get(TargetView, ours["target_id"])).scope == OURS


async def test_supervision_refuses_target_and_matter_events_of_another_district(vhost_url, supervision):
    sessionmaker, resources = supervision
    ours = snapshot("S-S3", "U-1", [at(30)])
    matter = MatterRaised(matter_id=uuid.uuid4().hex, target_id=ours["target_id"], unit="U-1", title="用地",
                          raised_by="u", raised_at=datetime.now())
    raised = new_event(matter, scope=OURS, aggregate_id=matter.matter_id, sequence=1)
    setup = [published(ours, OURS), raised]
    await run(vhost_url, sessionmaker, SUPERVISION_HANDLERS, resources, setup, setup, 0)

    answer = MatterAnswered(matter_id=matter.matter_id, unit="U-1", answer="已协调", answered_by="l",
                            answered_at=datetime.now())
    forged_answer = new_event(answer, scope=THEIRS, aggregate_id=matter.matter_id, sequence=2)
    forged_raise = relabelled(raised, THEIRS)
    forged_adjust = adjusted(dict(ours, title="改写"), THEIRS, sequence=2)
    reasons = await run(vhost_url, sessionmaker, SUPERVISION_HANDLERS, resources,
                        [forged_answer, forged_raise, forged_adjust], [], 3)

    assert_refused(reasons, forged_answer, forged_raise, forged_adjust)
    async with sessionmaker() as s:
        stored = await s.get(MatterView, matter.matter_id)
        assert (stored.scope, stored.status, stored.answered_at) == (OURS, "open", None)
        target = await s.get(TargetView, ours["target_id"])
        assert (target.scope, target.title, target.version) == (OURS, ours["title"], 1)


async def test_assessment_refuses_execution_facts_of_another_district(vhost_url, service_db):
    sessionmaker, _ = await service_db("assessment", ASSESSMENT_MIGRATIONS)
    ours = snapshot("S-A1", "U-1", [at(10), at(40)])
    first = published(ours, OURS)
    await run(vhost_url, sessionmaker, ASSESSMENT_HANDLERS, {}, [first], [first], 0)

    forged_completion = completed(ours, 0, THEIRS)
    # a new target of the other district claiming a milestone of ours: it would move our milestone's due date
    claiming = snapshot("S-A2", "U-2", [at(90)])
    claiming["milestones"][0]["milestone_id"] = ours["milestones"][1]["milestone_id"]
    forged_claim = published(claiming, THEIRS)
    good = completed(ours, 1, OURS)
    reasons = await run(vhost_url, sessionmaker, ASSESSMENT_HANDLERS, {},
                        [forged_completion, forged_claim, good], [good], 2)

    assert set(reasons) == {str(forged_completion.event_id), str(forged_claim.event_id)}
    assert "belongs to scope" in reasons[str(forged_completion.event_id)]
    assert "belongs to" in reasons[str(forged_claim.event_id)]
    async with sessionmaker() as s:
        m0, m1 = [await s.get(MilestoneFact, m["milestone_id"]) for m in ours["milestones"]]
        assert (m0.completed_on, m0.exec_seq) == (None, 0)
        assert (m1.completed_on, m1.target_id, m1.due_date) == (DAY0, ours["target_id"], at(40))
        assert await s.get(TargetFact, claiming["target_id"]) is None
        assert (await s.get(TargetFact, ours["target_id"])).scope == OURS

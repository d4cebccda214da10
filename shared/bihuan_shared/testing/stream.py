"""Driving a stream of real events through the system and reconciling it afterwards: fault tests and `make bench`.

The stream is planning.target.published envelopes (one target, one milestone each) committed into planning's own
outbox, as planning's routes would; planning's worker relays them and every consuming service applies them.
Reconciliation reads each consumer's inbox (its own database): every event sent, applied once, by every consumer
bound to the event type; and nothing of the stream parked in a dead-letter queue."""
import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import import_module

import aio_pika
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bihuan_shared.contracts.planning import Indicator, MilestoneSnapshot, TargetPublished
from bihuan_shared.events import Envelope, new_event
from bihuan_shared.messaging.outbox import record_events
from bihuan_shared.testing.routes import SERVICES, settings_class

log = logging.getLogger(__name__)
EVENT_TYPE = "planning.target.published"


def consumers_of(event_type: str) -> dict[str, str]:
    """{consumer queue name: service} for every worker consumer bound to event_type, found in the workers."""
    found = {}
    for service in SERVICES:
        settings = settings_class(service)()
        runtime = import_module(f"bihuan_{service}.worker").runtime(settings)
        for spec in runtime.consumers:
            if event_type in spec.handlers:
                found[f"{settings.service_name}.{spec.purpose}"] = service
    return found


def target_events(scope: str, unit: str, count: int, year: int | None = None) -> list[Envelope]:
    year = year or date.today().year
    due = min(date.today() + timedelta(days=60), date(year, 12, 31))
    events = []
    for i in range(count):
        target_id = uuid.uuid4().hex
        payload = TargetPublished(
            target_id=target_id, book_id=f"{scope}-{year}", year=year, version=1, code=f"{scope.upper()}-{i + 1}",
            title=f"压力测试目标 {i + 1}", category="key_work", lead_unit=unit, leader="L-STREAM",
            indicator=Indicator(kind="quantitative", unit_of_measure="项", baseline=0, target_value=10),
            milestones=[MilestoneSnapshot(milestone_id=uuid.uuid4().hex, seq=1, due_date=due, expected_value=10)])
        events.append(new_event(payload, scope=scope, aggregate_id=target_id, sequence=1))
    return events


async def commit_to_outbox(engine: AsyncEngine, events: list[Envelope], batch: int = 100,
                           pause: float = 0.0) -> None:
    """Commit the events into the outbox in batches, as a client would: a batch whose connection is cut is retried;
    a retry that finds its rows already committed (the commit succeeded, the answer was lost) moves on."""
    for start in range(0, len(events), batch):
        chunk = events[start:start + batch]
        for attempt in range(20):
            try:
                async with engine.begin() as conn:
                    await record_events(conn, chunk)
                break
            except IntegrityError:
                break  # committed by the attempt whose answer was lost
            except (DBAPIError, OSError, ConnectionError) as exc:
                log.warning("outbox batch failed, retrying: %r", exc)
                await asyncio.sleep(0.2 * (attempt + 1))
        else:
            raise RuntimeError("outbox batch failed 20 times")
        if pause:
            await asyncio.sleep(pause)


async def applied_counts(engines: dict[str, AsyncEngine], consumers: dict[str, str], event_ids: list[uuid.UUID]
                         ) -> dict[str, int]:
    """How many of event_ids each consumer has applied (its inbox rows; the primary key forbids a second)."""
    counts = {}
    for consumer, service in consumers.items():
        async with engines[service].connect() as conn:
            counts[consumer] = (await conn.execute(
                text("SELECT count(*) FROM inbox WHERE consumer = :c AND event_id = ANY(:ids)"),
                {"c": consumer, "ids": event_ids})).scalar_one()
    return counts


async def wait_applied(engines: dict[str, AsyncEngine], consumers: dict[str, str], event_ids: list[uuid.UUID],
                       timeout: float = 120.0) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            counts = await applied_counts(engines, consumers, event_ids)
        except (DBAPIError, OSError, ConnectionError):
            counts = {}
        if counts and all(n == len(event_ids) for n in counts.values()):
            return counts
        if loop.time() > deadline:
            return counts
        await asyncio.sleep(0.5)


async def wait_queues(amqp_url: str, consumers: list[str], timeout: float = 60) -> None:
    """Until every consumer's queue is declared: an event published before its queue exists reaches nobody."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    missing = list(consumers)
    while missing:
        connection = await aio_pika.connect(amqp_url)
        try:
            for consumer in list(missing):
                channel = await connection.channel()
                try:
                    await channel.declare_queue(consumer, passive=True)
                    missing.remove(consumer)
                except aio_pika.exceptions.ChannelClosed:
                    pass
        finally:
            await connection.close()
        if missing and loop.time() > deadline:
            raise TimeoutError(f"consumer queues not declared: {missing}")
        if missing:
            await asyncio.sleep(0.3)


async def dead_letters(amqp_url: str, consumers: list[str], take: int = 100) -> dict[str, list[dict]]:
    """The messages parked in each consumer's dead-letter queue (consumed: a test reads them once)."""
    found: dict[str, list[dict]] = {}
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for consumer in consumers:
            queue = await channel.declare_queue(f"{consumer}.dlq", passive=True)
            found[consumer] = []
            while len(found[consumer]) < take:
                message = await queue.get(fail=False, no_ack=True)
                if message is None:
                    break
                found[consumer].append({"message_id": message.message_id, "body": message.body,
                                        "headers": dict(message.headers or {})})
    finally:
        await connection.close()
    return found


async def lag_seconds(producer: AsyncEngine, engines: dict[str, AsyncEngine], consumers: dict[str, str],
                      event_ids: list[uuid.UUID]) -> list[float]:
    """Commit-to-applied lag of every event at every consumer (see lag_by_consumer)."""
    by_consumer = await lag_by_consumer(producer, engines, consumers, event_ids)
    return [lag for lags in by_consumer.values() for lag in lags]


async def lag_by_consumer(producer: AsyncEngine, engines: dict[str, AsyncEngine], consumers: dict[str, str],
                          event_ids: list[uuid.UUID]) -> dict[str, list[float]]:
    """Commit-to-applied lag of every event at each consumer: the consumer's inbox time minus the producer's
    outbox time (one PostgreSQL server, one clock)."""
    async with producer.connect() as conn:
        rows = await conn.execute(text("SELECT event_id, created_at FROM outbox WHERE event_id = ANY(:ids)"),
                                  {"ids": event_ids})
        committed = {r.event_id: r.created_at for r in rows}
    lags: dict[str, list[float]] = {}
    for consumer, service in consumers.items():
        async with engines[service].connect() as conn:
            rows = await conn.execute(text("SELECT event_id, processed_at FROM inbox WHERE consumer = :c "
                                           "AND event_id = ANY(:ids)"), {"c": consumer, "ids": event_ids})
            lags[consumer] = [(r.processed_at - committed[r.event_id]).total_seconds()
                              for r in rows if r.event_id in committed]
    return lags


@dataclass(frozen=True)
class Poison:
    name: str
    body: bytes
    message_id: str


def poison_messages(scope: str) -> list[Poison]:
    """Messages no consumer can ever apply: not JSON, not an envelope, a payload that breaks its contract."""
    good = target_events(scope, "U-POISON", 1)[0]
    broken_payload = good.model_copy(update={"payload": {"target_id": "x", "title": 42}, "event_id": uuid.uuid4()})
    future = good.model_copy(update={"event_version": 99, "event_id": uuid.uuid4()})
    return [Poison("not_json", b"\xff\xfe not json at all", uuid.uuid4().hex),
            Poison("not_an_envelope", b'{"hello": "world"}', uuid.uuid4().hex),
            Poison("payload_breaks_contract", broken_payload.to_bytes(), str(broken_payload.event_id)),
            Poison("unknown_version", future.to_bytes(), str(future.event_id))]

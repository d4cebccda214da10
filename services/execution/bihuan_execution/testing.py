"""Building planning's events for tests and the benchmark: execution learns targets only from the bus."""
import asyncio
import uuid
from contextlib import asynccontextmanager
from datetime import date
from typing import AsyncIterator

import aio_pika
import httpx

from bihuan_shared.bus.topology import declare_events_exchange
from bihuan_shared.contracts.planning import TargetAdjusted, TargetPublished
from bihuan_shared.events import Envelope, new_event
from bihuan_shared.testing.services import bearer, eventually, publish_envelopes

SCOPE = "xuhui"
DAY0 = date(2027, 3, 1)  # the pinned "today" tests start from


def snapshot(code: str, lead_unit: str, dues: list[date], *, responsible: tuple[str, ...] = (),
             cooperating: tuple[str, ...] = (), leader: str | None = "L-LI", category: str = "key_work",
             parent_id: str | None = None, expected: list[float | None] | None = None, title: str | None = None,
             target_id: str | None = None, year: int | None = None) -> dict:
    """A target snapshot as planning publishes it; quantitative with cumulative expected values unless given."""
    expected = expected if expected is not None else [float(i + 1) for i in range(len(dues))]
    quantitative = any(v is not None for v in expected)
    return {
        "target_id": target_id or uuid.uuid4().hex, "book_id": "book-1", "year": year or dues[0].year, "version": 1,
        "code": code, "title": title or f"目标 {code}", "category": category, "lead_unit": lead_unit,
        "responsible_units": list(responsible), "cooperating_units": list(cooperating), "leader": leader,
        "parent_id": parent_id,
        "indicator": {"kind": "quantitative" if quantitative else "qualitative", "target_value": expected[-1],
                      "direction": "up"},
        "milestones": [{"milestone_id": uuid.uuid4().hex, "seq": i + 1, "due_date": d.isoformat(),
                        "expected_value": v, "deliverable": None if v is not None else f"第{i + 1}阶段成果"}
                       for i, (d, v) in enumerate(zip(dues, expected))],
    }


def published(snap: dict, scope: str, sequence: int = 1) -> Envelope:
    return new_event(TargetPublished.model_validate(snap), scope=scope, aggregate_id=snap["target_id"],
                     sequence=sequence)


def adjusted(snap: dict, scope: str, sequence: int, reason: str = "动态调整") -> Envelope:
    body = dict(snap, version=snap["version"] + 1, adjustment_id=uuid.uuid4().hex, reason=reason)
    return new_event(TargetAdjusted.model_validate(body), scope=scope, aggregate_id=snap["target_id"],
                     sequence=sequence)


@asynccontextmanager
async def listening(amqp_url: str, *routing_keys: str) -> AsyncIterator[list[Envelope]]:
    """Collect every event of the given types published to the bus while the block runs."""
    received: list[Envelope] = []
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        events = await declare_events_exchange(channel)
        queue = await channel.declare_queue(f"test.listen.{uuid.uuid4().hex[:8]}", exclusive=True)
        for key in routing_keys:
            await queue.bind(events, routing_key=key)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            received.append(Envelope.from_bytes(message.body))
            await message.ack()

        await queue.consume(on_message)
        yield received
        await asyncio.sleep(0.2)  # let in-flight deliveries land before the caller's last look
    finally:
        await connection.close()


def headers(settings, role: str, unit: str | None = None, scope: str = SCOPE, user: str | None = None) -> dict:
    return bearer(settings, role, unit, scope, user)


async def publish_targets(api: httpx.AsyncClient, settings, snaps: list[dict]) -> None:
    """Publish targets as planning would and wait until execution knows every one of them."""
    await publish_envelopes(settings.amqp_url, [published(s, SCOPE) for s in snaps], "execution-tests")
    office = bearer(settings, "target_office", None, SCOPE)

    async def known():
        for s in snaps:
            r = await api.get(f"/api/v1/targets/{s['target_id']}", headers=office)
            assert r.status_code == 200, r.text
    await eventually(known)

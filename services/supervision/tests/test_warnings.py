"""Warnings raised and cleared by real events and by the clock: inbox per unit and leader, events on the bus, and
the outgoing webhook."""
import asyncio
from datetime import date, datetime, timedelta

import aio_pika
import orjson
import pytest

from bihuan_shared.bus.topology import declare_events_exchange
from bihuan_shared.contracts.execution import LagExplained, ProgressReported
from bihuan_shared.contracts.planning import Indicator, MilestoneSnapshot, TargetPublished
from bihuan_shared.events import new_event
from bihuan_shared.testing.services import bearer, eventually
from bihuan_shared.testing.services import publish_envelopes
from bihuan_supervision.domain.feeds.common import CST
from bihuan_supervision.sample_orders import order

pytestmark = pytest.mark.asyncio(loop_scope="session")
TODAY = datetime.now(CST).date()


def quantitative_target() -> TargetPublished:
    return TargetPublished(
        target_id="T-W", book_id="B-1", year=TODAY.year, version=1, code="W-1", title="新增绿地面积", category="key_work",
        lead_unit="U-LH", leader="L-WANG", indicator=Indicator(kind="quantitative", target_value=100),
        milestones=[MilestoneSnapshot(milestone_id="MS-W1", seq=1, due_date=TODAY + timedelta(days=3),
                                      expected_value=30),
                    MilestoneSnapshot(milestone_id="MS-W2", seq=2, due_date=TODAY - timedelta(days=1),
                                      expected_value=20)])


def progress(n: int, milestone: str, value: float) -> object:
    return new_event(ProgressReported(report_id=f"P-{n}", target_id="T-W", milestone_id=milestone, unit="U-LH",
                                      actual_value=value, reported_by="u", reported_at=datetime.now(CST)),
                     scope="demo", aggregate_id=milestone, sequence=n)


def lag(n: int) -> object:
    return new_event(LagExplained(lag_id=f"LAG-{n}", target_id="T-W", milestone_id="MS-W2", unit="U-LH",
                                  reason_kind="objective", reason_category="weather", explanation="连续降雨",
                                  explained_by="u", explained_at=datetime.now(CST)),
                     scope="demo", aggregate_id=f"LAG-{n}", sequence=1)


async def open_warnings(client, settings, role="supervisor", unit=None, user=None):
    r = await client.get("/api/v1/warnings", headers=bearer(settings, role, unit, "demo", user=user))
    assert r.status_code == 200, r.text
    return {(w["kind"], w["subject"]) for w in r.json()}


async def test_milestone_and_target_warnings_follow_the_events(client, worker, settings):
    received: list[tuple[str, dict]] = []
    hook = await _webhook_receiver(received)
    port = hook.sockets[0].getsockname()[1]
    r = await client.put("/api/v1/warnings/rules", headers=bearer(settings, "supervisor", scope="demo"),
                         json={"yellow_days": 7, "lag_repeats": 2, "webhook_url": f"http://127.0.0.1:{port}/hook"})
    assert r.status_code == 200, r.text
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue("", exclusive=True)
        await queue.bind(await declare_events_exchange(channel), "supervision.warning.*")
        await publish_envelopes(settings.amqp_url, [new_event(quantitative_target(), scope="demo", aggregate_id="T-W",
                                                           sequence=1)])

        async def raised():
            assert await open_warnings(client, settings) == {("due_soon", "MS-W1"), ("overdue", "MS-W2")}
        await eventually(raised)

        # progress on MS-W1 clears due_soon; its value (10) is far behind the 20 expected by MS-W2's date
        await publish_envelopes(settings.amqp_url, [progress(1, "MS-W1", 10)])
        await publish_envelopes(settings.amqp_url, [lag(1), lag(2)])

        async def moved():
            assert await open_warnings(client, settings) == {("overdue", "MS-W2"), ("behind_trajectory", "T-W"),
                                                             ("repeated_lags", "T-W")}
        await eventually(moved)
        assert await open_warnings(client, settings, "unit_reporter", "U-LH") == await open_warnings(client, settings)
        assert await open_warnings(client, settings, "leader", user="L-WANG") == await open_warnings(client, settings)
        assert await open_warnings(client, settings, "unit_reporter", "U-OTHER") == set()
        assert await open_warnings(client, settings, "leader", user="L-OTHER") == set()

        events = []

        async def on_bus():
            message = await queue.get(no_ack=True, fail=False)
            if message is not None:
                events.append((message.routing_key, orjson.loads(message.body)["payload"]["kind"]))
            assert len(events) == 5
        await eventually(on_bus)
        assert ("supervision.warning.cleared", "due_soon") in events
        assert sorted(k for t, k in events if t.endswith("raised")) == ["behind_trajectory", "due_soon", "overdue",
                                                                         "repeated_lags"]
    await eventually(lambda: _assert_len(received, 5))
    assert {h for h, _ in received} == {"supervision.warning.raised", "supervision.warning.cleared"}
    hook.close()


async def test_a_hotline_spike_about_a_unit_raises_a_warning(client, worker, settings):
    now = datetime.now(CST).replace(microsecond=0).isoformat()
    orders = [order(f"S-{i}", unit="U-SPIKE", received_at=now) for i in range(25)]
    r = await client.post("/api/v1/feeds/hotline/records", json=orders, headers=bearer(settings, "feed", scope="demo"))
    assert r.json()["stored"] == 25

    async def spiked():
        assert ("hotline_spike", "U-SPIKE") in await open_warnings(client, settings, "unit_reporter", "U-SPIKE")
    await eventually(spiked)


async def _assert_len(items, n):
    assert len(items) == n


async def _webhook_receiver(received: list):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        headers = dict(line.split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line)
        lowered = {k.lower(): v for k, v in headers.items()}
        body = await reader.readexactly(int(lowered.get("content-length", 0)))
        received.append((lowered.get("x-bihuan-event"), orjson.loads(body)))
        writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)

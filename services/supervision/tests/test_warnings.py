"""Warnings raised and cleared by real events and by the clock: inbox per unit and leader with its own read state,
events on the bus, the outgoing webhook, and a supervision order about a hotline spike."""
import asyncio
from datetime import date, datetime, timedelta

import aio_pika
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bihuan_shared.bus.topology import declare_events_exchange
from bihuan_shared.contracts.execution import LagExplained, ProgressReported
from bihuan_shared.contracts.planning import Indicator, MilestoneSnapshot, TargetPublished
from bihuan_shared.events import new_event
from bihuan_shared.testing.services import bearer, eventually
from bihuan_shared.testing.services import publish_envelopes
from bihuan_supervision.domain.feeds.common import CST
from bihuan_supervision.sample_orders import order

pytestmark = pytest.mark.asyncio(loop_scope="session")
SETTINGS = {"webhook_allowed_networks": ["127.0.0.1/32"]}  # the test's webhook receiver listens on loopback
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

    # the office issues a supervision order about the spike itself: the warning is its subject
    office = bearer(settings, "supervisor", scope="demo")
    spike = next(w for w in (await client.get("/api/v1/warnings", headers=office)).json() if w["subject"] == "U-SPIKE")
    body = {"unit": "U-SPIKE", "subject_kind": "hotline_spike", "warning_id": spike["id"], "title": "热线工单激增督办",
            "requirement": "请分析工单激增原因并报送处置情况", "reply_by": str(TODAY + timedelta(days=3))}
    r = await client.post("/api/v1/orders", json=body, headers=office)
    assert r.status_code == 201, r.text
    assert (r.json()["subject_kind"], r.json()["warning_id"], r.json()["target_id"]) == ("hotline_spike", spike["id"],
                                                                                        None)
    r = await client.post("/api/v1/orders", json={**body, "warning_id": None}, headers=office)
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "warning_id"
    other = next(w for w in (await client.get("/api/v1/warnings", params={"status": "all"}, headers=office)).json()
                 if w["kind"] == "overdue")
    r = await client.post("/api/v1/orders", json={**body, "warning_id": other["id"]}, headers=office)
    assert r.status_code == 422 and r.json()["error"] == "order_subject_conflict"
    r = await client.post("/api/v1/orders", json={**body, "subject_kind": "target"}, headers=office)
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "warning_id"  # a unit's spike has no target


async def test_each_inbox_keeps_its_own_read_state(client, worker, settings):
    """The unit, the leader and the office read the same warning in their own inboxes; marking it read in one
    leaves the others unread, reading twice changes nothing, and nobody marks a warning outside their inbox."""
    unit, leader = bearer(settings, "unit_reporter", "U-LH", "demo"), bearer(settings, "leader", scope="demo",
                                                                             user="L-WANG")
    office = bearer(settings, "supervisor", scope="demo")

    async def counts(headers):
        return (await client.get("/api/v1/warnings/unread", headers=headers)).json()

    async def unread_everywhere():
        assert (await counts(unit))["unread"] == 3 and (await counts(leader))["unread"] == 3
    await eventually(unread_everywhere)  # the three open warnings of T-W from the first test
    assert await counts(leader) == {"recipient": "leader:L-WANG", "unread": 3, "red": 1, "yellow": 2}
    overdue = next(w for w in (await client.get("/api/v1/warnings", headers=unit)).json() if w["kind"] == "overdue")
    assert overdue["read"] is False and overdue["read_at"] is None

    r = await client.post(f"/api/v1/warnings/{overdue['id']}/read", headers=unit)
    assert r.json() == {"warning_id": overdue["id"], "read": True, "newly_read": True}
    again = await client.post(f"/api/v1/warnings/{overdue['id']}/read",
                              headers=bearer(settings, "unit_reporter", "U-LH", "demo", user="另一位填报员"))
    assert again.json()["newly_read"] is False  # the unit's inbox is shared by its reporters
    assert await counts(unit) == {"recipient": "unit:U-LH", "unread": 2, "red": 0, "yellow": 2}
    assert (await counts(leader))["unread"] == 3 and (await counts(office))["unread"] >= 3
    mine = (await client.get("/api/v1/warnings", params={"unread": "true"}, headers=unit)).json()
    assert overdue["id"] not in {w["id"] for w in mine} and len(mine) == 2
    read = next(w for w in (await client.get("/api/v1/warnings", headers=unit)).json() if w["id"] == overdue["id"])
    assert read["read"] is True and read["read_at"] is not None

    outsider = bearer(settings, "unit_reporter", "U-OTHER", "demo")
    assert (await client.post(f"/api/v1/warnings/{overdue['id']}/read", headers=outsider)).status_code == 404
    assert (await client.post("/api/v1/warnings/0/read", headers=unit)).status_code == 422
    assert (await client.post(f"/api/v1/warnings/{overdue['id']}/read",
                              headers=bearer(settings, "assessor", scope="demo"))).status_code == 403

    assert (await client.post("/api/v1/warnings/read-all", headers=leader)).json() == {"newly_read": 3}
    assert (await counts(leader))["unread"] == 0 and (await counts(unit))["unread"] == 2
    engine = create_async_engine(settings.database_url)
    async with engine.connect() as conn:
        actions = (await conn.execute(text("SELECT action, actor FROM audit_log WHERE action LIKE 'warning.read%'"
                                           " ORDER BY id"))).all()
    await engine.dispose()
    assert [a for a, _ in actions] == ["warning.read", "warning.read_all"]


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

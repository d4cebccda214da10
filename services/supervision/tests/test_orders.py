"""The supervision order loop on the real servers: issue, reply with evidence, send back, reply again, accept;
an unanswered order escalates to the leader in charge (the clock runs days ahead here); the trail keeps every step.
An order about an important matter finds the matter in the read model built from execution's events."""
from datetime import UTC, date, datetime, timedelta

import aio_pika
import orjson
import pytest

from bihuan_shared.bus.topology import declare_events_exchange
from bihuan_shared.contracts.execution import MatterAnswered, MatterRaised
from bihuan_shared.contracts.planning import Indicator, MilestoneSnapshot, TargetPublished
from bihuan_shared.events import new_event
from bihuan_shared.testing.services import bearer, eventually
from bihuan_shared.testing.services import publish_envelopes
from bihuan_supervision.store.warnings import today

pytestmark = pytest.mark.asyncio(loop_scope="session")

SETTINGS = {"clock_shift_days": 5}  # the worker's clock lives five days ahead: a reply due in 2 days is overdue
TODAY = today()
# evidence as execution's POST /api/v1/evidence answers it (a 32-hex id), or a link to published material
PHOTO, PHOTO_2 = "0f" * 16, "a1" * 16
LINK = "https://gov.example.cn/notice/2026/17.html"


def office(settings):
    return bearer(settings, "supervisor", scope="demo", user="督查室-李")


def unit(settings, code="U-JT"):
    return bearer(settings, "unit_reporter", unit=code, scope="demo", user=f"{code}-填报员")


async def _target(client, settings):
    target = TargetPublished(target_id="T-O", book_id="B-1", year=TODAY.year, version=1, code="O-1", title="背街小巷整治",
                             category="public_service", lead_unit="U-JT", leader="L-CHEN",
                             indicator=Indicator(kind="qualitative"),
                             milestones=[MilestoneSnapshot(milestone_id="MS-O1", seq=1,
                                                           due_date=TODAY + timedelta(days=90))])
    await publish_envelopes(settings.amqp_url, [new_event(target, scope="demo", aggregate_id="T-O", sequence=1)])

    async def known():
        assert (await client.get("/api/v1/targets/T-O", headers=office(settings))).status_code == 200
    await eventually(known)


async def test_issue_reply_send_back_reply_accept_with_full_trail(client, worker, settings):
    await _target(client, settings)
    body = {"unit": "U-JT", "subject_kind": "milestone", "milestone_id": "MS-O1", "title": "关于背街小巷整治进度的督办",
            "requirement": "请于期限内报送整治进度和照片", "reply_by": str(TODAY + timedelta(days=10))}
    r = await client.post("/api/v1/orders", json=body, headers=office(settings))
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["leader"], order["target_id"], order["status"]) == ("L-CHEN", "T-O", "issued")
    oid = order["id"]

    assert (await client.post(f"/api/v1/orders/{oid}/replies", json={"progress": "已完成"},
                              headers=unit(settings, "U-OTHER"))).status_code == 403
    assert (await client.post(f"/api/v1/orders/{oid}/accept", json={}, headers=office(settings))).status_code == 409
    bad = await client.post(f"/api/v1/orders/{oid}/replies", json={"progress": "已完成", "evidence": [PHOTO, "file:x"]},
                            headers=unit(settings))
    assert bad.status_code == 422 and bad.json()["details"][0]["field"] == "body.evidence"
    assert "第 2 项" in bad.json()["details"][0]["message"]
    r = await client.post(f"/api/v1/orders/{oid}/replies", json={"progress": "已完成 60%", "evidence": [PHOTO]},
                          headers=unit(settings))
    assert r.json()["status"] == "replied"
    r = await client.post(f"/api/v1/orders/{oid}/send-back", json={}, headers=office(settings))
    assert r.status_code == 422 and r.json()["error"] == "reason_required"
    r = await client.post(f"/api/v1/orders/{oid}/send-back", json={"note": "缺少现场照片"}, headers=office(settings))
    assert r.json()["status"] == "sent_back"
    await client.post(f"/api/v1/orders/{oid}/replies", json={"progress": "已补充照片", "evidence": [PHOTO_2, LINK]},
                      headers=unit(settings))
    r = await client.post(f"/api/v1/orders/{oid}/accept", json={"note": "同意办结"}, headers=office(settings))
    assert r.json()["status"] == "accepted"

    trail = (await client.get(f"/api/v1/orders/{oid}", headers=unit(settings))).json()["trail"]
    assert [s["action"] for s in trail] == ["issued", "replied", "sent_back", "replied", "accepted"]
    assert trail[1]["evidence"] == [PHOTO] and trail[2]["note"] == "缺少现场照片"
    assert trail[3]["evidence"] == [PHOTO_2, LINK]
    assert (await client.get(f"/api/v1/orders/{oid}", headers=unit(settings, "U-OTHER"))).status_code == 403
    assert (await client.get("/api/v1/orders", headers=bearer(settings, "leader", scope="demo",
                                                               user="L-CHEN"))).json()[0]["id"] == oid


async def test_an_unanswered_order_escalates_to_the_leader_once(client, worker, settings):
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue("", exclusive=True)
        await queue.bind(await declare_events_exchange(channel), "supervision.order.escalated")
        body = {"unit": "U-JT", "subject_kind": "target", "target_id": "T-O", "title": "催办", "requirement": "请回复",
                "reply_by": str(TODAY + timedelta(days=2))}
        oid = (await client.post("/api/v1/orders", json=body, headers=office(settings))).json()["id"]
        leader = bearer(settings, "leader", scope="demo", user="L-CHEN")

        async def escalated():
            got = (await client.get(f"/api/v1/orders/{oid}", headers=leader)).json()
            assert got["escalated"] is True
            return got
        order = await eventually(escalated)
        assert [s["action"] for s in order["trail"]] == ["issued", "escalated"]
        async def published():  # the relay publishes after the commit: basic.get does not wait, so ask again
            got = await queue.get(no_ack=True, fail=False)
            assert got is not None, "supervision.order.escalated not published yet"
            return got
        message = await eventually(published)
        assert orjson.loads(message.body)["payload"]["leader"] == "L-CHEN"
        listed = (await client.get("/api/v1/orders", params={"escalated": "true"}, headers=leader)).json()
        assert [o["id"] for o in listed] == [oid]
        # the unit may still reply; the trail keeps the escalation
        r = await client.post(f"/api/v1/orders/{oid}/replies", json={"progress": "已整改"}, headers=unit(settings))
        assert r.json()["status"] == "replied" and r.json()["escalated"] is True


async def test_an_order_about_an_unknown_target_or_a_past_deadline_is_refused(client, settings):
    body = {"unit": "U-JT", "subject_kind": "target", "target_id": "T-NONE", "title": "x", "requirement": "y",
            "reply_by": str(TODAY + timedelta(days=2))}
    assert (await client.post("/api/v1/orders", json=body, headers=office(settings))).status_code == 404
    body.update(target_id=None, subject_kind="matter", reply_by=str(date(2020, 1, 1)))
    r = await client.post("/api/v1/orders", json=body, headers=office(settings))
    assert r.status_code == 422 and r.json()["error"] == "reply_by_past"
    assert (await client.post("/api/v1/orders", json={**body, "reply_by": str(TODAY)},
                              headers=unit(settings))).status_code == 403


async def test_an_order_about_an_important_matter_names_it_and_its_leader(client, worker, settings):
    await _target(client, settings)
    matter = MatterRaised(matter_id="MAT-1", target_id="T-O", unit="U-JT", title="拆迁协调需区领导出面",
                          to_leader="L-QIAN", raised_by="U-JT-填报员", raised_at=datetime.now(UTC))
    await publish_envelopes(settings.amqp_url, [new_event(matter, scope="demo", aggregate_id="MAT-1", sequence=1)])
    body = {"unit": "U-JT", "subject_kind": "matter", "matter_id": "MAT-1", "title": "关于拆迁协调事项的督办",
            "requirement": "请报送协调进展", "reply_by": str(TODAY + timedelta(days=5))}

    async def issued():
        r = await client.post("/api/v1/orders", json=body, headers=office(settings))
        assert r.status_code == 201, r.text  # 404 until the matter has reached supervision's read model
        return r.json()
    order = await eventually(issued)
    listed = (await client.get("/api/v1/matters", headers=office(settings))).json()
    assert [(m["id"], m["target_id"], m["status"]) for m in listed] == [("MAT-1", "T-O", "open")]
    assert (await client.get("/api/v1/matters", headers=bearer(settings, "leader", scope="demo", user="L-OTHER"))
            ).json() == []
    answered = MatterAnswered(matter_id="MAT-1", target_id="T-O", unit="U-JT", answer="已协调", answered_by="L-QIAN",
                              answered_at=datetime.now(UTC))
    await publish_envelopes(settings.amqp_url, [new_event(answered, scope="demo", aggregate_id="MAT-1", sequence=2)])

    async def closed():
        got = (await client.get("/api/v1/matters", params={"status": "answered"},
                                headers=bearer(settings, "leader", scope="demo", user="L-QIAN"))).json()
        assert [m["id"] for m in got] == ["MAT-1"]
    await eventually(closed)
    # the matter's target and the leader it was raised to come with it
    assert (order["matter_id"], order["target_id"], order["leader"]) == ("MAT-1", "T-O", "L-QIAN")
    seen = (await client.get(f"/api/v1/orders/{order['id']}", headers=bearer(settings, "leader", scope="demo",
                                                                             user="L-QIAN"))).json()
    assert seen["subject_kind"] == "matter"
    issued = await _issued_event(settings, order["id"])
    assert (issued["subject_kind"], issued["matter_id"], issued["target_id"]) == ("matter", "MAT-1", "T-O")

    r = await client.post("/api/v1/orders", json={**body, "matter_id": None}, headers=office(settings))
    assert r.status_code == 422 and r.json()["details"] == [{"field": "matter_id", "message": "督办重要事项须指明 matter_id"}]
    r = await client.post("/api/v1/orders", json={**body, "matter_id": "MAT-NONE"}, headers=office(settings))
    assert r.status_code == 404 and r.json()["error"] == "matter_not_found"
    r = await client.post("/api/v1/orders", json={**body, "subject_kind": "target", "target_id": "T-O"},
                          headers=office(settings))
    assert r.status_code == 422 and r.json()["error"] == "order_subject_conflict"
    other_scope = bearer(settings, "supervisor", scope="other", user="督查室-外区")
    assert (await client.post("/api/v1/orders", json=body, headers=other_scope)).status_code == 404


async def _issued_event(settings, order_id: str) -> dict:
    """The payload of the order's supervision.order.issued event, as the outbox holds it for the bus."""
    import asyncpg
    import orjson

    from bihuan_shared.db import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        bodies = await conn.fetch("SELECT body FROM outbox WHERE event_type = 'supervision.order.issued'")
    finally:
        await conn.close()
    (payload,) = [p for p in (orjson.loads(b["body"])["payload"] for b in bodies) if p["order_id"] == order_id]
    return payload

"""The outgoing webhook against real receivers: a receiver that fails twice gets each warning once and signed, one
that is down ends 'failed' after the attempts with backoff between them, two deliverers never send a row twice, and
the signing secret is write-only."""
import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson
from sqlalchemy import text

from bihuan_shared.contracts.planning import Indicator, MilestoneSnapshot, TargetPublished
from bihuan_shared.contracts.supervision import WarningRaised
from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.events import new_event
from bihuan_shared.testing.processes import free_port
from bihuan_shared.testing.services import bearer, eventually, publish_envelopes
from bihuan_supervision.domain.feeds.common import CST
from bihuan_supervision.events.webhooks import Deliverer, backoff_seconds, enqueue

TODAY = datetime.now(CST).date()
RULE_SECRET = "rule-secret-of-demo-0123456789"
SERVICE_SECRET = "service-fallback-secret-0123456789"
# Long poll: a first attempt that arrives quickly came from the after-commit kick, and retries on time from the
# deliverer waiting for the next one due.
# The receivers listen on loopback, which the webhook refuses (issue 12 #7) unless the operator allow-lists it.
SETTINGS = {"webhook_backoff_seconds": 0.1, "webhook_max_attempts": 4, "webhook_poll_seconds": 30.0,
            "webhook_secret": SERVICE_SECRET, "webhook_timeout_seconds": 2.0,
            "webhook_allowed_networks": ["127.0.0.1/32"]}


@dataclass
class Hit:
    at: float
    headers: dict[str, str]
    body: bytes
    status: int


INTERNAL_ANSWER = b'{"items": ["internal-scope-list"]}'


@dataclass
class Receiver:
    """A real HTTP receiver: answers 503 to the first `failures` attempts of each delivery, then 204."""

    failures: int = 0
    delay: float = 0.0
    hits: list[Hit] = field(default_factory=list)

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line)}
        body = await reader.readexactly(int(headers.get("content-length", 0)))
        await asyncio.sleep(self.delay)
        earlier = sum(1 for h in self.hits if h.headers["x-bihuan-delivery"] == headers["x-bihuan-delivery"])
        status = 503 if earlier < self.failures else 204
        self.hits.append(Hit(time.monotonic(), headers, body, status))
        reason = b"Service Unavailable" if status == 503 else b"No Content"
        answer = INTERNAL_ANSWER if status == 503 else b""  # what an internal endpoint would reveal
        writer.write(b"HTTP/1.1 %d %s\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s"
                     % (status, reason, len(answer), answer))
        await writer.drain()
        writer.close()

    def accepted(self) -> list[Hit]:
        return [h for h in self.hits if h.status == 204]


def verify(hit: Hit, secret: str) -> None:
    """What a receiver does (FEEDS.md): recompute the signature over "<timestamp>.<body>" and check the age."""
    timestamp = hit.headers["x-bihuan-timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + hit.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hit.headers["x-bihuan-signature"], expected)
    assert abs(time.time() - int(timestamp)) < 300
    envelope = orjson.loads(hit.body)
    assert hit.headers["x-bihuan-event-id"] == envelope["event_id"]
    assert hit.headers["x-bihuan-event"] == envelope["event_type"]


def overdue_target(scope: str) -> object:
    """A published target whose milestones raise two warnings: one due in 3 days, one missed yesterday."""
    target = TargetPublished(
        target_id=f"T-{scope}", book_id="B-1", year=TODAY.year, version=1, code="H-1", title="河道整治",
        category="key_work", lead_unit="U-HOOK", leader="L-HOOK", indicator=Indicator(kind="qualitative"),
        milestones=[MilestoneSnapshot(milestone_id=f"M-{scope}-1", seq=1, due_date=TODAY + timedelta(days=3)),
                    MilestoneSnapshot(milestone_id=f"M-{scope}-2", seq=2, due_date=TODAY - timedelta(days=1))])
    return new_event(target, scope=scope, aggregate_id=target.target_id, sequence=1)


async def set_rules(client, settings, scope: str, **webhook) -> dict:
    r = await client.put("/api/v1/warnings/rules", headers=bearer(settings, "supervisor", scope=scope), json=webhook)
    assert r.status_code == 200, r.text
    return r.json()


async def deliveries(client, settings, scope: str, status: str | None = None) -> list[dict]:
    r = await client.get("/api/v1/warnings/webhook-deliveries", params={"status": status} if status else {},
                         headers=bearer(settings, "supervisor", scope=scope))
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_a_receiver_that_fails_twice_gets_each_warning_once_signed(client, worker, settings):
    receiver = Receiver(failures=2)
    url = await receiver.start()
    rules = await set_rules(client, settings, "demo", webhook_url=url, webhook_secret=RULE_SECRET)
    assert rules["webhook_secret_set"] is True and "webhook_secret" not in rules
    published = time.monotonic()
    await publish_envelopes(settings.amqp_url, [overdue_target("demo")])

    async def both_accepted():
        assert len(receiver.accepted()) == 2
    await eventually(both_accepted)
    await asyncio.sleep(0.5)  # nothing more comes: no delivery is repeated after its 2xx
    by_event: dict[str, list[Hit]] = {}
    for hit in receiver.hits:
        verify(hit, RULE_SECRET)
        by_event.setdefault(hit.headers["x-bihuan-event-id"], []).append(hit)
    assert len(by_event) == 2
    for hits in by_event.values():
        assert [h.status for h in hits] == [503, 503, 204]
        assert len({h.headers["x-bihuan-delivery"] for h in hits}) == 1
        # exponential backoff between attempts: 0.1 s, then 0.2 s
        assert hits[1].at - hits[0].at >= 0.1 and hits[2].at - hits[1].at >= 0.2
    # the first attempt came from the after-commit kick, not from the 30 s poll
    assert min(h.at for h in receiver.hits) - published < 3
    assert {h.headers["x-bihuan-event"] for h in receiver.hits} == {"supervision.warning.raised"}

    delivered = await deliveries(client, settings, "demo", "delivered")
    assert sorted(d["event_id"] for d in delivered) == sorted(by_event)
    assert all(d["attempts"] == 3 and d["last_status"] == 204 and d["delivered_at"] and d["next_attempt_at"] is None
               for d in delivered)
    assert await deliveries(client, settings, "demo", "pending") == []
    assert await deliveries(client, settings, "other-district") == []  # a supervisor sees only her scope
    receiver.server.close()


async def test_the_deliveries_api_never_shows_the_receivers_answer(client, worker, settings):
    """Issue 12 #7: a failing receiver's response body is neither stored nor shown, only its status."""
    receiver = Receiver(failures=99)
    await set_rules(client, settings, "leak", webhook_url=await receiver.start())
    await publish_envelopes(settings.amqp_url, [overdue_target("leak")])

    async def failed():
        rows = await deliveries(client, settings, "leak", "failed")
        assert len(rows) == 2
        return rows
    for row in await eventually(failed):
        assert row["last_status"] == 503 and row["last_error"] == "HTTP 503"
        assert b"internal-scope-list" not in orjson.dumps(row)
    receiver.server.close()


async def test_a_receiver_that_is_down_is_retried_with_backoff_then_failed(client, worker, settings):
    await set_rules(client, settings, "down", webhook_url=f"http://127.0.0.1:{free_port()}/hook")
    await publish_envelopes(settings.amqp_url, [overdue_target("down")])

    async def failed():
        rows = await deliveries(client, settings, "down", "failed")
        assert len(rows) == 2
        return rows
    rows = await eventually(failed)
    for row in rows:
        assert row["attempts"] == 4 and row["last_status"] is None and row["last_error"]
        assert row["delivered_at"] is None and row["next_attempt_at"] is None
        spent = datetime.fromisoformat(row["last_attempt_at"]) - datetime.fromisoformat(row["created_at"])
        assert spent.total_seconds() >= 0.1 + 0.2 + 0.4  # three waits, doubling
    await asyncio.sleep(0.5)
    assert await deliveries(client, settings, "down", "failed") == rows  # kept, and not tried again
    assert await deliveries(client, settings, "down", "pending") == []


async def test_two_deliverers_never_send_a_row_twice(settings):
    receiver = Receiver(delay=0.02)
    url = await receiver.start()
    now = datetime.now(CST)
    batch = [new_event(WarningRaised(warning_id=9000 + i, kind="overdue", level="red", subject=f"M-R{i}",
                                     message="节点逾期", raised_at=now), scope="race", aggregate_id=f"warning:{i}",
                       sequence=1) for i in range(40)]
    engines = [make_engine(settings.database_url, 2) for _ in range(2)]
    try:
        async with make_sessionmaker(engines[0])() as session, session.begin():
            await enqueue(session, "race", url, batch)
        small = settings.model_copy(update={"webhook_batch": 5})
        deliverers = [Deliverer(make_sessionmaker(engine), small) for engine in engines]
        claimed = [0, 0]

        async def count(i: int) -> None:  # run one deliverer to the end, counting the rows it claimed
            while sent := await deliverers[i].deliver_once():
                claimed[i] += sent
        await asyncio.gather(count(0), count(1))
        async with engines[0].connect() as conn:
            states = (await conn.execute(text(
                "SELECT status, attempts, count(*) FROM webhook_deliveries WHERE scope = 'race' "
                "GROUP BY status, attempts"))).all()
    finally:
        for engine in engines:
            await engine.dispose()
        receiver.server.close()
    assert all(n > 0 for n in claimed), claimed  # both took part
    assert sum(claimed) == 40
    assert states == [("delivered", 1, 40)]
    event_ids = [h.headers["x-bihuan-event-id"] for h in receiver.hits]
    assert sorted(event_ids) == sorted(str(e.event_id) for e in batch)  # each once, none twice
    for hit in receiver.hits:
        verify(hit, SERVICE_SECRET)  # no secret in the scope's rules: the service's signs


async def test_the_secret_is_write_only_validated_and_audited_without_its_value(client, settings):
    out = await set_rules(client, settings, "secret", webhook_url="https://8.8.8.8/x",
                          webhook_secret=RULE_SECRET)
    assert out["webhook_secret_set"] is True
    r = await client.get("/api/v1/warnings/rules", headers=bearer(settings, "leader", scope="secret"))
    assert r.json()["webhook_secret_set"] is True and RULE_SECRET not in r.text
    assert (await set_rules(client, settings, "secret", yellow_days=5))["webhook_secret_set"] is True  # kept
    r = await client.put("/api/v1/warnings/rules", headers=bearer(settings, "supervisor", scope="secret"),
                         json={"webhook_secret": "short"})
    assert r.status_code == 422
    assert [d["field"] for d in r.json()["details"]] == ["body.webhook_secret"]
    assert "16 至 200" in r.json()["details"][0]["message"]
    assert (await set_rules(client, settings, "secret", webhook_secret=""))["webhook_secret_set"] is False
    engine = make_engine(settings.database_url, 1)
    try:
        async with engine.connect() as conn:
            audit = (await conn.execute(text("SELECT after::text FROM audit_log WHERE action = 'warnings.rules.set' "
                                             "AND entity_id = 'secret' ORDER BY id"))).scalars().all()
    finally:
        await engine.dispose()
    assert len(audit) == 3 and not any(RULE_SECRET in a for a in audit)
    assert [orjson.loads(a)["webhook_secret_changed"] for a in audit] == [True, False, True]


def test_backoff_doubles_from_the_setting_up_to_an_hour():
    assert [backoff_seconds(n, 5) for n in (1, 2, 3, 8)] == [5, 10, 20, 640]
    assert backoff_seconds(20, 5) == 3600


async def test_old_delivered_and_failed_rows_are_purged_pending_ones_never(settings):
    """The delivery log does not grow forever: delivered rows go after webhook_keep_delivered_days, failed ones after
    webhook_keep_failed_days, and a pending row is kept however old it is."""
    from bihuan_supervision.events.webhooks import purge_old_deliveries

    now = datetime.now(CST)
    batch = [new_event(WarningRaised(warning_id=9500 + i, kind="overdue", level="red", subject=f"M-P{i}",
                                     message="节点逾期", raised_at=now), scope="purge", aggregate_id=f"warning:p{i}",
                       sequence=1) for i in range(6)]
    engine = make_engine(settings.database_url, 1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await enqueue(session, "purge", "http://127.0.0.1:9/never", batch)
            ages = {  # event -> (status, days since delivered / last attempted)
                0: ("delivered", 31), 1: ("delivered", 29), 2: ("failed", 91), 3: ("failed", 60), 4: ("pending", 400),
                5: ("pending", 0)}
            for i, (status, days) in ages.items():
                await session.execute(text(
                    "UPDATE webhook_deliveries SET status = CAST(:status AS text), created_at = now() - make_interval(days => :d), "
                    "last_attempt_at = now() - make_interval(days => :d), "
                    "delivered_at = CASE WHEN CAST(:status AS text) = 'delivered' THEN now() - make_interval(days => :d) END "
                    "WHERE event_id = :e"), {"status": status, "d": days, "e": batch[i].event_id})
        async with make_sessionmaker(engine)() as session, session.begin():
            await purge_old_deliveries(session, {"settings": settings})
        async with engine.connect() as conn:
            kept = {r[0] for r in (await conn.execute(text(
                "SELECT event_id FROM webhook_deliveries WHERE scope = 'purge'"))).all()}
    finally:
        await engine.dispose()
    assert kept == {batch[i].event_id for i in (1, 3, 4, 5)}


async def test_the_office_resends_a_failed_delivery_once_the_receiver_is_fixed(client, settings):
    receiver = Receiver()
    url = await receiver.start()
    now = datetime.now(CST)
    event = new_event(WarningRaised(warning_id=9600, kind="overdue", level="red", subject="M-RS", message="节点逾期",
                                    raised_at=now), scope="demo", aggregate_id="warning:rs", sequence=1)
    engine = make_engine(settings.database_url, 1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await enqueue(session, "demo", url, [event])
            delivery_id = await session.scalar(text(
                "UPDATE webhook_deliveries SET status = 'failed', attempts = 4, last_error = 'HTTP 503' "
                "WHERE event_id = :e RETURNING id"), {"e": event.event_id})
    finally:
        await engine.dispose()
    office = bearer(settings, "supervisor", scope="demo")
    path = f"/api/v1/warnings/webhook-deliveries/{delivery_id}/retry"
    assert (await client.post(path, headers=bearer(settings, "supervisor", scope="other"))).status_code == 404
    assert (await client.post(path, headers=bearer(settings, "target_office", scope="demo"))).status_code == 403
    r = await client.post(path, headers=office)
    assert r.status_code == 200 and (r.json()["status"], r.json()["attempts"]) == ("pending", 0), r.text

    async def delivered() -> None:
        assert [h.headers["x-bihuan-event-id"] for h in receiver.accepted()] == [str(event.event_id)]
        listed = (await client.get("/api/v1/warnings/webhook-deliveries", params={"status": "delivered"},
                                   headers=office)).json()["items"]
        assert delivery_id in [d["id"] for d in listed]
    await eventually(delivered)
    again = await client.post(path, headers=office)
    assert again.status_code == 409 and again.json()["error"] == "webhook_delivery_not_failed"
    receiver.server.close()

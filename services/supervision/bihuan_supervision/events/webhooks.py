"""The outgoing webhook: events queued in webhook_deliveries (same transaction as the events), POSTed signed, retried
with exponential backoff, kept as 'failed' after the last attempt.

Claiming takes due rows with FOR UPDATE SKIP LOCKED and leases them (next_attempt_at moves past the POST's time
limit) in one short transaction, so the POSTs hold no database connection and several deliverers (worker copies, the
app's after-commit kick) never send a row at the same time. Delivery is at least once: a crash between the POST and
recording it resends after the lease; receivers dedupe by X-Bihuan-Event-Id. Order is not guaranteed (a retry comes
after newer events); the envelope's aggregate_id and sequence order them.

Each round resolves every receiver's name once, checks all its addresses (events/webhook_address.py) and posts to the
checked address; a receiver inside the service's network fails at once, for good, never posted to."""
import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bihuan_supervision.events.webhook_address import Pinned, Refused, Unresolved, pin
from bihuan_supervision.store.warning_tables import WarningRules
from bihuan_supervision.store.webhook_tables import WebhookDelivery

log = logging.getLogger(__name__)

BACKOFF_CAP_SECONDS = 3600.0
LEASE_MARGIN_SECONDS = 30.0  # beyond the lookup's and the POST's time limits: the round trips recording the outcome

CLAIM = text(
    "UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = now(), "
    "next_attempt_at = now() + make_interval(secs => :lease) "
    "WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now() "
    "ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED) "
    "RETURNING id, scope, event_id, event_type, url, body, attempts")
# Only the holder of the claim records its outcome (same attempt number, still pending).
RECORD = text(
    "UPDATE webhook_deliveries SET status = :outcome, last_status = :http_status, last_error = :error, "
    "delivered_at = CASE WHEN CAST(:delivered AS boolean) THEN now() END, "
    "next_attempt_at = now() + make_interval(secs => :delay) "
    "WHERE id = :id AND attempts = :attempts AND status = 'pending'")


async def enqueue(session: AsyncSession, scope: str, url: str, batch: list) -> None:
    """Queue the envelopes for the scope's receiver, in the caller's transaction."""
    if batch:
        await session.execute(insert(WebhookDelivery), [
            dict(scope=scope, event_id=e.event_id, event_type=e.event_type, url=url, body=e.to_bytes())
            for e in batch])


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">; the timestamp inside lets a receiver refuse replays."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def backoff_seconds(attempts: int, base: float) -> float:
    """Wait after the n-th failed attempt: base, 2 base, 4 base, ... at most an hour."""
    return min(base * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)


@dataclass
class Outcome:
    delivered: bool
    http_status: int | None
    error: str | None
    final: bool = False  # no retry can succeed (the receiver's address is refused)


class Deliverer:
    """Sends due deliveries. run(stop) is the worker's loop; kick() wakes the loop of this process after a commit
    (or, where no loop runs, as in the app, drains once in the background)."""

    def __init__(self, sessionmaker: async_sessionmaker, settings):
        self.sessionmaker = sessionmaker
        self.settings = settings
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def deliver_once(self) -> int:
        """One claimed batch, POSTed and recorded; returns how many were attempted."""
        s = self.settings
        async with self.sessionmaker() as session, session.begin():
            rows = sorted((await session.execute(CLAIM, {
                "lease": float(2 * s.webhook_timeout_seconds + LEASE_MARGIN_SECONDS),
                "limit": s.webhook_batch})).all(), key=lambda r: r.id)
            secrets = dict((await session.execute(select(WarningRules.scope, WarningRules.webhook_secret).where(
                WarningRules.scope.in_({r.scope for r in rows})))).all()) if rows else {}
        if not rows:
            return 0
        urls = list(dict.fromkeys(row.url for row in rows))
        targets = dict(zip(urls, await asyncio.gather(*(self._pin(url) for url in urls))))
        async with AsyncExitStack() as stack:
            clients = await self._clients(stack, targets.values())
            outcomes = await asyncio.gather(*(
                self._post(clients, row, targets[row.url], secrets.get(row.scope) or s.webhook_secret)
                for row in rows))
        async with self.sessionmaker() as session, session.begin():
            await session.execute(RECORD, [self._record(row, outcome) for row, outcome in zip(rows, outcomes)])
        for row, outcome in zip(rows, outcomes):
            if not outcome.delivered:
                log.warning("webhook delivery failed", extra={"delivery": row.id, "url": row.url,
                                                              "attempt": row.attempts, "error": outcome.error})
        return len(rows)

    async def _pin(self, url: str) -> Pinned | Outcome:
        """Where to post for url this round, or the outcome of not posting: refused for good, or not resolved now."""
        try:
            return await pin(url, self.settings)
        except Refused as exc:
            return Outcome(False, None, str(exc), final=True)
        except Unresolved as exc:
            return Outcome(False, None, str(exc))

    @staticmethod
    async def _clients(stack: AsyncExitStack, targets) -> dict[tuple, httpx.AsyncClient]:
        """A client per pinned origin, so a pooled connection (its TLS verified for one name) serves only that name."""
        clients: dict[tuple, httpx.AsyncClient] = {}
        for target in targets:
            if isinstance(target, Pinned) and target.origin not in clients:
                clients[target.origin] = await stack.enter_async_context(httpx.AsyncClient(follow_redirects=False))
        return clients

    async def _post(self, clients: dict, row, target: Pinned | Outcome, secret: str) -> Outcome:
        if isinstance(target, Outcome):
            return target  # not posted this round: refused, or the name did not resolve
        timestamp = str(int(time.time()))
        headers = {"Host": target.host_header, "Content-Type": "application/json",
                   "User-Agent": "bihuan-supervision-webhook",
                   "X-Bihuan-Event": row.event_type, "X-Bihuan-Event-Id": str(row.event_id),
                   "X-Bihuan-Delivery": str(row.id), "X-Bihuan-Timestamp": timestamp}
        if secret:
            headers["X-Bihuan-Signature"] = signature(secret, timestamp, row.body)
        try:
            async with asyncio.timeout(self.settings.webhook_timeout_seconds):  # the whole POST, inside the lease
                r = await clients[target.origin].post(target.url, content=row.body, headers=headers,
                                                      extensions=target.extensions)
        except (httpx.HTTPError, TimeoutError, OSError) as exc:
            return Outcome(False, None, repr(exc)[:500])
        if 200 <= r.status_code < 300:
            return Outcome(True, r.status_code, None)
        # Only the status: the body may be an internal endpoint's answer (issue 12 #7), never stored or shown.
        return Outcome(False, r.status_code, f"HTTP {r.status_code}")

    def _record(self, row, outcome: Outcome) -> dict:
        s = self.settings
        last = outcome.final or row.attempts >= s.webhook_max_attempts
        return {"id": row.id, "attempts": row.attempts, "http_status": outcome.http_status, "error": outcome.error,
                "delivered": outcome.delivered,
                "outcome": "delivered" if outcome.delivered else "failed" if last else "pending",
                "delay": 0.0 if outcome.delivered or last else backoff_seconds(row.attempts, s.webhook_backoff_seconds)}

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Deliver until stopped, waking on kicks, on the next retry falling due, or every webhook_poll_seconds
        (retries another copy scheduled). Without a stop event: drain what is due now, then return."""
        while stop is None or not stop.is_set():
            self._wake.clear()  # before claiming, so a commit during the round still wakes the next one
            try:
                sent = await self.deliver_once()
            except Exception:
                log.exception("webhook delivery round failed; will retry")
                sent = -1
            if sent == self.settings.webhook_batch or (sent >= 0 and self._wake.is_set()):
                continue  # more are waiting
            if stop is None:
                return
            await self._sleep(stop, await self._next_due_in() if sent >= 0 else self.settings.webhook_poll_seconds)

    async def _next_due_in(self) -> float:
        poll = self.settings.webhook_poll_seconds
        async with self.sessionmaker() as session:
            due = await session.scalar(select(func.min(WebhookDelivery.next_attempt_at))
                                       .where(WebhookDelivery.status == "pending"))
        return poll if due is None else min(poll, max((due - datetime.now(UTC)).total_seconds(), 0.0))

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        woken, stopping = asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())
        try:
            await asyncio.wait([woken, stopping], timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            stopping.cancel()


# The deliverer running in this process per database (the worker's loop, or a one-off drain in the app).
_ACTIVE: dict[async_sessionmaker, Deliverer] = {}
_DRAINS: set[asyncio.Task] = set()


def webhook_task():
    """The worker's background task: one delivery loop per worker copy."""
    async def task(runtime, stop: asyncio.Event) -> None:
        deliverer = Deliverer(runtime.sessionmaker, runtime.settings)
        _ACTIVE[runtime.sessionmaker] = deliverer
        try:
            await deliverer.run(stop)
        finally:
            _ACTIVE.pop(runtime.sessionmaker, None)

    return task


def kick(resources: dict) -> Callable[[], Awaitable[None]]:
    """An after-commit action: deliver what was just queued now rather than on the next poll. It never waits for
    the receiver, so an event consumer or a request is not held up by a slow one."""
    async def action() -> None:
        maker = resources["sessionmaker"]
        running = _ACTIVE.get(maker)
        if running is not None:
            running.wake()
            return
        deliverer = _ACTIVE[maker] = Deliverer(maker, resources["settings"])
        drain = asyncio.create_task(deliverer.run())
        _DRAINS.add(drain)  # the loop keeps only weak references to tasks

        def done(task: asyncio.Task) -> None:
            _DRAINS.discard(task)
            if _ACTIVE.get(maker) is deliverer:
                del _ACTIVE[maker]

        drain.add_done_callback(done)

    return action


PURGE = text(
    "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE "
    "(status = 'delivered' AND delivered_at < now() - make_interval(days => :delivered)) OR "
    "(status = 'failed' AND last_attempt_at < now() - make_interval(days => :failed)) LIMIT :limit)")
PURGE_BATCH = 5000  # per clock tick: a long backlog goes in steps, never one long delete holding the table


async def purge_old_deliveries(session: AsyncSession, resources: dict) -> None:
    """Clock job: the delivery log keeps delivered rows webhook_keep_delivered_days and failed ones
    webhook_keep_failed_days; pending rows are never purged."""
    s = resources["settings"]
    await session.execute(PURGE, {"delivered": s.webhook_keep_delivered_days, "failed": s.webhook_keep_failed_days,
                                  "limit": PURGE_BATCH})

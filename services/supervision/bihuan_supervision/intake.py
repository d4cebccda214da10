"""Receiving feed records by any path (HTTP batch, AMQP, file): validate, store the good ones, answer the bad ones.

One batch = one transaction: its FeedBatch row (who, when, how), the records, the metric counts and the audit entry
commit together, so a batch is either wholly stored or not at all, and a retry of it is harmless (idempotent).
A city-wide feed's batch is one batch too: its records are stored in their districts (domain/feeds/routing.py), each
district's part under that district's scope as if its own feed had sent it, all in the one transaction."""
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Principal
from bihuan_supervision.domain.feeds import FeedSource, RecordError
from bihuan_supervision.domain.feeds.batch import RoutedBatch, validate
from bihuan_supervision.domain.feeds.routing import Routes
from bihuan_supervision.store.feed_ingest import ingest_parts
from bihuan_supervision.store.feed_tables import FeedBatch

MAX_ERRORS_LISTED = 1000


@dataclass
class BatchOutcome:
    batch_id: int | None
    received: int
    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RecordError] = field(default_factory=list)
    districts: dict[str, dict] | None = None  # a city-wide feed: what each district's part did

    @property
    def rejected(self) -> int:
        return len({e.index for e in self.errors})

    def as_answer(self) -> dict:
        answer = {"batch_id": self.batch_id, "received": self.received, "stored": self.stored,
                  "updated": self.updated, "unchanged": self.unchanged, "rejected": self.rejected,
                  "errors": [e.as_detail() for e in self.errors[:MAX_ERRORS_LISTED]],
                  "errors_truncated": len(self.errors) > MAX_ERRORS_LISTED}
        if self.districts is not None:
            answer["districts"] = self.districts
        return answer


async def receive(sessionmaker: async_sessionmaker[AsyncSession], source: FeedSource, routes: Routes,
                  actor: Principal, records: list, via: str, file_name: str | None = None,
                  first_index: int = 0) -> BatchOutcome:
    checked = validate(source, records, first_index, routes)
    return await store(sessionmaker, source, actor, checked, len(records), via, file_name)


async def store(sessionmaker: async_sessionmaker[AsyncSession], source: FeedSource, actor: Principal,
                checked: RoutedBatch, received: int, via: str, file_name: str | None = None) -> BatchOutcome:
    """Write an already validated batch (validation may run while the previous batch is being written)."""
    routes = checked.routes
    async with sessionmaker() as session, session.begin():
        batch = FeedBatch(scope=routes.home, source=source.name, via=via, actor=actor.user, file_name=file_name,
                          records=received)
        session.add(batch)
        await session.flush()
        outcome = BatchOutcome(batch.id, received, errors=checked.errors,
                               districts={} if routes.city else None)
        results = await ingest_parts(session, source, batch.id, {s: p.rows for s, p in checked.parts.items()})
        for scope in sorted(results):
            result, part = results[scope], checked.parts[scope]
            unchanged = result.unchanged + part.duplicates_in_batch
            outcome.stored, outcome.updated = outcome.stored + result.stored, outcome.updated + result.updated
            outcome.unchanged += unchanged
            if outcome.districts is not None:
                outcome.districts[scope] = {"stored": result.stored, "updated": result.updated,
                                            "unchanged": unchanged}
        batch.stored, batch.updated, batch.unchanged = outcome.stored, outcome.updated, outcome.unchanged
        batch.rejected = outcome.rejected
        await record_audit(session, actor, f"feed.{via}.received", "feed_batch", str(batch.id),
                           after={k: v for k, v in outcome.as_answer().items() if k != "errors"})
    return outcome

"""Every write is attributable: who (user, role, unit), when, what, before and after, in the service's own database,
append-only and hash-chained.

Each record's hash is sha256(prev_hash + canonical JSON of the record, its id included), so changing a record
changes its hash, and deleting one leaves the next record pointing at a hash that is no longer there.
`python -m bihuan_shared.audit_verify <service>` walks the chain.

Why appends are serialised with pg_advisory_xact_lock: the chain must be one line. Two transactions that each read
the current head and append would both point at it (a fork), and with ids from a sequence the row committed later
could even carry the smaller id. The transaction-level advisory lock is held from the append to COMMIT/ROLLBACK, so
the next writer reads the head only once the previous append is durable or gone; the id is drawn under the lock, so
id order is chain order. The cost is that audited writes of one database commit one at a time from the append on:
call record_audit last in the transaction, just before it commits.
"""
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bihuan_shared.auth.principal import Principal
from bihuan_shared.logging import correlation_id
from bihuan_shared.messaging.tables import audit_log

# One lock key per database for the audit chain (any constant bigint; this is crc32("bihuan.audit_log")).
CHAIN_LOCK_KEY = 0x2F1B_6A3C
GENESIS = "0" * 64
HASHED_FIELDS = ("id", "at", "actor", "role", "unit", "action", "entity_type", "entity_id", "before", "after",
                 "correlation_id", "note")


def jsonable(value: Any) -> Any:
    """The value as JSONB will give it back (dates, decimals, UUIDs become strings), so the hash can be recomputed
    from what is stored."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def record_hash(prev_hash: str, record: dict[str, Any]) -> str:
    fields = {name: record.get(name) for name in HASHED_FIELDS}
    at = fields["at"]
    if isinstance(at, datetime):
        fields["at"] = at.astimezone(UTC).isoformat()
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


async def append_audit(db: AsyncSession | AsyncConnection, values: dict[str, Any]) -> dict[str, Any]:
    """Append one record to the chain inside the caller's transaction; returns the stored values."""
    await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    head = (await db.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1))).scalar()
    new_id = (await db.execute(text("SELECT nextval(pg_get_serial_sequence('audit_log', 'id'))"))).scalar_one()
    record = {name: values.get(name) for name in HASHED_FIELDS}
    record.update(id=new_id, at=datetime.now(UTC), before=jsonable(values.get("before")),
                  after=jsonable(values.get("after")))
    prev_hash = head or GENESIS
    record.update(prev_hash=prev_hash, hash=record_hash(prev_hash, record))
    await db.execute(insert(audit_log).values(**record))
    return record


async def record_audit(session: AsyncSession, principal: Principal, action: str, entity_type: str, entity_id: str,
                       *, before: Any = None, after: Any = None, note: str | None = None) -> None:
    await append_audit(session, {
        "actor": principal.user, "role": ",".join(sorted(principal.roles)), "unit": principal.unit,
        "action": action, "entity_type": entity_type, "entity_id": entity_id, "before": before, "after": after,
        "correlation_id": correlation_id.get(), "note": note,
    })

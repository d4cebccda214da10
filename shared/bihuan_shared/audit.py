"""Every write is attributable: who (user, role, unit), when, what, before and after, in the service's own database,
append-only and hash-chained.

Each record's hash is sha256(prev_hash | id | canonical JSON of the record), so changing a record
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

from sqlalchemy import text
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


def canonical(record: dict[str, Any]) -> str:
    """The record as one canonical JSON text (its id excluded: the id is hashed beside it)."""
    fields = {name: record.get(name) for name in HASHED_FIELDS if name != "id"}
    at = fields["at"]
    if isinstance(at, datetime):
        fields["at"] = at.astimezone(UTC).isoformat()
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def record_hash(prev_hash: str, record: dict[str, Any]) -> str:
    """sha256(prev_hash | id | canonical record): the same text PostgreSQL hashes in APPEND below."""
    text_ = f"{prev_hash}|{record['id']}|{canonical(record)}"
    return hashlib.sha256(text_.encode()).hexdigest()


# One statement after the lock (its own snapshot, so it sees the previous holder's committed append): read the
# head, draw the id, hash and insert. Two round trips hold the lock instead of four.
APPEND = text("""
    WITH head AS (SELECT coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), :genesis) AS prev),
         drawn AS (SELECT nextval(pg_get_serial_sequence('audit_log', 'id')) AS id)
    INSERT INTO audit_log (id, at, actor, role, unit, action, entity_type, entity_id, before, after,
                           correlation_id, note, prev_hash, hash)
    SELECT drawn.id, :at, :actor, :role, :unit, :action, :entity_type, :entity_id,
           CAST(:before AS jsonb), CAST(:after AS jsonb), :correlation_id, :note, head.prev,
           encode(sha256(convert_to(head.prev || '|' || drawn.id::text || '|' || :canonical, 'UTF8')), 'hex')
    FROM head, drawn
    RETURNING id, prev_hash, hash
""")


async def append_audit(db: AsyncSession | AsyncConnection, values: dict[str, Any]) -> dict[str, Any]:
    """Append one record to the chain inside the caller's transaction; returns the stored values."""
    record = {name: values.get(name) for name in HASHED_FIELDS if name != "id"}
    record.update(at=datetime.now(UTC), before=jsonable(values.get("before")), after=jsonable(values.get("after")))
    params = {**record, "genesis": GENESIS, "canonical": canonical(record),
              "before": None if record["before"] is None else json.dumps(record["before"], ensure_ascii=False),
              "after": None if record["after"] is None else json.dumps(record["after"], ensure_ascii=False)}
    await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    stored = (await db.execute(APPEND, params)).one()
    record.update(id=stored.id, prev_hash=stored.prev_hash, hash=stored.hash)
    return record


async def record_audit(session: AsyncSession, principal: Principal, action: str, entity_type: str, entity_id: str,
                       *, before: Any = None, after: Any = None, note: str | None = None) -> None:
    await append_audit(session, {
        "actor": principal.user, "role": ",".join(sorted(principal.roles)), "unit": principal.unit,
        "action": action, "entity_type": entity_type, "entity_id": entity_id, "before": before, "after": after,
        "correlation_id": correlation_id.get(), "note": note,
    })

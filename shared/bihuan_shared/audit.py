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

Why the hash is keyed (HMAC-SHA256 with the service's audit key): anyone who can write the database could otherwise
change a record and recompute the chain forward, and the verifier would call it intact. Without the key, the rewritten
records no longer verify. Records say which key sealed them (key_id, a fingerprint, never the key), so keys can be
rotated and a record sealed by an unknown key is reported, not skipped. PostgreSQL has HMAC only in pgcrypto, which
not every database allows; HMAC is two nested sha256 over the key padded with ipad/opad (RFC 2104), so the statement
computes it from the two padded keys passed as parameters, and the verifier recomputes it with Python's hmac.
Records written before the key existed (key_id NULL) hash the older field list with plain sha256; the verifier accepts
them only below an id the operator names (--legacy-until), since an unkeyed record is one anyone can forge.

Every record also names the scope the caller acted in and the token (jti) that carried the request, so a write
made with a stolen or over-wide token can be told from the unit's own.
"""
import hashlib
import hmac
import json
import os
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import LargeBinary, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bihuan_shared.auth.principal import Principal
from bihuan_shared.logging import correlation_id
from bihuan_shared.settings import PUBLIC_DEV_AUDIT_KEY

# One lock key per database for the audit chain (any constant bigint; this is crc32("bihuan.audit_log")).
CHAIN_LOCK_KEY = 0x2F1B_6A3C
GENESIS = "0" * 64
# The engine carries its service's key as an execution option (db.make_engine), so every session of that service
# seals with it and no route has to pass it along.
KEY_OPTION = "bihuan_audit_key"
LEGACY_FIELDS = ("id", "at", "actor", "role", "unit", "action", "entity_type", "entity_id", "before", "after",
                 "correlation_id", "note")
HASHED_FIELDS = (*LEGACY_FIELDS, "scope", "token_id", "key_id")


class AuditKeyMissing(RuntimeError):
    """Outside development an audited write needs the service's own key; sealing with the public one would let
    anyone rewrite the chain."""


def key_id(key: str) -> str:
    """A fingerprint that names the key in each record without revealing it."""
    return hmac.new(key.encode(), b"bihuan.audit.key-id", hashlib.sha256).hexdigest()[:16]


def padded_keys(key: str) -> tuple[bytes, bytes]:
    """(K xor ipad, K xor opad) of RFC 2104 for HMAC-SHA256 (block size 64)."""
    raw = key.encode()
    if len(raw) > 64:
        raw = hashlib.sha256(raw).digest()
    raw = raw.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in raw), bytes(b ^ 0x5C for b in raw)


def jsonable(value: Any) -> Any:
    """The value as JSONB will give it back (dates, decimals, UUIDs become strings), so the hash can be recomputed
    from what is stored."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def canonical(record: dict[str, Any]) -> str:
    """The record as one canonical JSON text (its id excluded: the id is hashed beside it). A keyed record covers its
    scope, token and key too; a legacy one the fields it was sealed with."""
    names = HASHED_FIELDS if record.get("key_id") else LEGACY_FIELDS
    fields = {name: record.get(name) for name in names if name != "id"}
    at = fields["at"]
    if isinstance(at, datetime):
        fields["at"] = at.astimezone(UTC).isoformat()
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def record_hash(prev_hash: str, record: dict[str, Any], key: str | None) -> str:
    """HMAC-SHA256(key, prev_hash | id | canonical record), the same value APPEND computes in PostgreSQL; plain
    sha256 for a legacy record (key None)."""
    message = f"{prev_hash}|{record['id']}|{canonical(record)}".encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


# One statement after the lock (its own snapshot, so it sees the previous holder's committed append): read the
# head, draw the id, HMAC and insert. Two round trips hold the lock instead of four.
APPEND = text("""
    WITH head AS (SELECT coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), :genesis) AS prev),
         drawn AS (SELECT nextval(pg_get_serial_sequence('audit_log', 'id')) AS id)
    INSERT INTO audit_log (id, at, actor, role, unit, action, entity_type, entity_id, before, after,
                           correlation_id, note, scope, token_id, key_id, prev_hash, hash)
    SELECT drawn.id, :at, :actor, :role, :unit, :action, :entity_type, :entity_id,
           CAST(:before AS jsonb), CAST(:after AS jsonb), :correlation_id, :note, :scope, :token_id, :key_id,
           head.prev,
           encode(sha256(:okey || sha256(:ikey || convert_to(head.prev || '|' || drawn.id::text || '|' || :canonical,
                                                             'UTF8'))), 'hex')
    FROM head, drawn
    RETURNING id, prev_hash, hash
""").bindparams(bindparam("ikey", type_=LargeBinary), bindparam("okey", type_=LargeBinary))


def sealing_key(options: dict[str, Any]) -> str:
    """The key of the engine the write goes through; the public development key only in development."""
    key = options.get(KEY_OPTION)
    if key:
        return key
    if os.environ.get("BIHUAN_ENV", "").strip().lower() == "development":
        return PUBLIC_DEV_AUDIT_KEY
    raise AuditKeyMissing("审计密钥未配置：请设置 BIHUAN_<SERVICE>_AUDIT_KEY / the audit key is not configured")


async def append_audit(db: AsyncSession | AsyncConnection, values: dict[str, Any]) -> dict[str, Any]:
    """Append one record to the chain inside the caller's transaction; returns the stored values."""
    conn = await db.connection() if isinstance(db, AsyncSession) else db
    key = sealing_key(conn.sync_connection.get_execution_options())
    record = {name: values.get(name) for name in HASHED_FIELDS if name != "id"}
    record.update(at=datetime.now(UTC), before=jsonable(values.get("before")), after=jsonable(values.get("after")),
                  key_id=key_id(key))
    ikey, okey = padded_keys(key)
    params = {**record, "genesis": GENESIS, "canonical": canonical(record), "ikey": ikey, "okey": okey,
              "before": None if record["before"] is None else json.dumps(record["before"], ensure_ascii=False),
              "after": None if record["after"] is None else json.dumps(record["after"], ensure_ascii=False)}
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    stored = (await conn.execute(APPEND, params)).one()
    record.update(id=stored.id, prev_hash=stored.prev_hash, hash=stored.hash)
    return record


async def record_audit(session: AsyncSession, principal: Principal, action: str, entity_type: str, entity_id: str,
                       *, before: Any = None, after: Any = None, note: str | None = None) -> None:
    await append_audit(session, {
        "actor": principal.user, "role": ",".join(sorted(principal.roles)), "unit": principal.unit,
        "action": action, "entity_type": entity_type, "entity_id": entity_id, "before": before, "after": after,
        "correlation_id": correlation_id.get(), "note": note, "scope": principal.scope,
        "token_id": principal.token_id,
    })


async def record_read(session: AsyncSession, principal: Principal, action: str, entity_type: str, entity_id: str,
                      *, note: str | None = None) -> None:
    """A read of something a city must be able to account for (an evidence file, a scorecard, a report): recorded
    like a write and committed at once, so the record exists whether or not the download completes."""
    await record_audit(session, principal, action, entity_type, str(entity_id), note=note)
    await session.commit()

"""Tables the kit owns inside every service's database. Services include KIT_METADATA in their migrations."""
from sqlalchemy import (
    BigInteger, Column, DateTime, Index, LargeBinary, MetaData, String, Table, Text, func, text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

KIT_METADATA = MetaData()

outbox = Table(
    "outbox",
    KIT_METADATA,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("event_type", String(200), nullable=False),
    Column("aggregate_id", String(200), nullable=False),
    Column("correlation_id", String(200)),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    # The relay only ever scans unpublished rows; keep that index tiny.
    Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
)

inbox = Table(
    "inbox",
    KIT_METADATA,
    Column("consumer", String(200), primary_key=True),
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

audit_log = Table(
    "audit_log",
    KIT_METADATA,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", String(200), nullable=False),
    Column("role", String(100), nullable=False),
    Column("unit", String(100)),
    Column("action", String(200), nullable=False),
    Column("entity_type", String(100), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("before", JSONB),
    Column("after", JSONB),
    Column("correlation_id", String(200)),
    Column("note", Text),
    # Which scope the caller acted in and which token (jti) carried the request, and which key sealed the record.
    Column("scope", String(64)),
    Column("token_id", String(200)),
    Column("key_id", String(16)),
    # Hash chain: hash = HMAC(audit key, prev_hash | id | canonical record); a changed or deleted row breaks it.
    Column("prev_hash", String(64)),
    Column("hash", String(64)),
    Index("ix_audit_entity", "entity_type", "entity_id"),
    Index("ix_audit_scope", "scope", "id"),  # GET /audit: a scope's records newest first (web.audit_routes)
)

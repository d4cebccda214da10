"""Async engine and session factory (SQLAlchemy 2 + asyncpg), and database creation for launchers and tests."""
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def make_engine(url: str, pool_size: int = 10, *, audit_key: str | None = None) -> AsyncEngine:
    """audit_key travels as an execution option, so every session of the service seals audit records with it
    (bihuan_shared.audit)."""
    options = {"bihuan_audit_key": audit_key} if audit_key else {}
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                               execution_options=options)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def asyncpg_dsn(url: str) -> str:
    """The same URL in the form asyncpg.connect() accepts (no '+asyncpg' driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def ensure_database(url: str) -> bool:
    """Create the database named in url if it does not exist. Returns True when it was created."""
    import asyncpg

    target = make_url(url)
    admin = await asyncpg.connect(asyncpg_dsn(str(target.set(database="postgres"))))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", target.database)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{target.database}"')
        return not exists
    finally:
        await admin.close()


async def drop_database(url: str) -> None:
    import asyncpg

    target = make_url(url)
    admin = await asyncpg.connect(asyncpg_dsn(str(target.set(database="postgres"))))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    finally:
        await admin.close()


async def load_by_ids(session, model, ids):
    """Rows of model with these primary keys, by key, in one query (a target's milestones, say, instead of one
    round trip each); rows already in the session are returned as they are there."""
    if not ids:
        return {}
    key = model.__mapper__.primary_key[0]
    return {getattr(row, key.key): row for row in (await session.scalars(select(model).where(key.in_(ids)))).all()}

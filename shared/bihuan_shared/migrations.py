"""Alembic glue shared by the four services: each service's env.py is two lines, and launchers and tests migrate
programmatically with upgrade()."""
import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(script_location: Path, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(script_location: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, database_url), revision)


async def upgrade_async(script_location: Path, database_url: str) -> None:
    # Alembic's async env runs its own event loop; keep it off the caller's.
    await asyncio.to_thread(upgrade, script_location, database_url)


def run_env(target_metadata: list[MetaData]) -> None:
    """Body of every service's migrations/env.py (online mode, asyncpg)."""
    url = context.config.get_main_option("sqlalchemy.url")

    def do_run(connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())


def add_audit_identity() -> None:
    """Audit records name the scope, the token and the sealing key (bihuan_shared.audit); one step for every
    service's migration."""
    import sqlalchemy as sa
    from alembic import op

    op.add_column("audit_log", sa.Column("scope", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("token_id", sa.String(200), nullable=True))
    op.add_column("audit_log", sa.Column("key_id", sa.String(16), nullable=True))
    op.create_index("ix_audit_scope", "audit_log", ["scope", "id"])


def drop_audit_identity() -> None:
    from alembic import op

    op.drop_index("ix_audit_scope", table_name="audit_log")
    for column in ("key_id", "token_id", "scope"):
        op.drop_column("audit_log", column)

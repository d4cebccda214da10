"""Every service's Alembic history against the real PostgreSQL: it builds exactly the schema its models declare (no
drift an autogenerate would find), and it can be walked down to nothing and up again."""
import asyncio
from importlib import import_module

import pytest
from alembic import command

from bihuan_shared.migrations import alembic_config
from bihuan_shared.services import SERVICES

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_the_models_and_walk_down_and_up(service, make_database):
    migrations = import_module(f"bihuan_{service}.main").MIGRATIONS
    cfg = alembic_config(migrations, await make_database(f"migrations_{service}"))

    def walk() -> None:
        command.upgrade(cfg, "head")
        command.check(cfg)  # raises when the models declare something the migrations did not build
        command.downgrade(cfg, "base")
        command.upgrade(cfg, "head")
        command.check(cfg)

    await asyncio.to_thread(walk)

"""pytest plugin: one vhost and a set of databases per test run, on the real servers."""
import asyncio
import os
import uuid
from contextlib import ExitStack
from typing import AsyncIterator, Awaitable, Callable, Iterator

import pytest
import pytest_asyncio

from bihuan_shared.db import drop_database, ensure_database
from bihuan_shared.testing.infra import Infra, create_vhost, delete_vhost, discover

# Tests mint tokens with the public development secret, in-process and in the processes they start (which inherit
# the environment); a test of production behaviour passes environment="production" to its settings.
os.environ.setdefault("BIHUAN_ENV", "development")


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with ExitStack() as stack:
        yield discover(stack)


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def amqp_url(infra: Infra, run_id: str) -> Iterator[str]:
    vhost = f"bihuan_test_{run_id}"
    create_vhost(infra, vhost)
    yield infra.vhost_url(vhost)
    delete_vhost(infra, vhost)


@pytest.fixture(scope="session")
def redis_prefix(run_id: str) -> str:
    return f"bihuan_test_{run_id}"


@pytest_asyncio.fixture(scope="session")
async def make_database(infra: Infra, run_id: str) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """Factory: await make_database('planning') -> URL of a fresh database dropped at the end of the run."""
    made: list[str] = []

    async def make(name: str) -> str:
        url = infra.database_url(f"bihuan_test_{run_id}_{name}")
        await ensure_database(url)
        made.append(url)
        return url

    yield make
    await asyncio.gather(*(drop_database(url) for url in made), return_exceptions=True)

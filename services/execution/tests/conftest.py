"""Execution's test fixtures: each test module gets its own database and its own RabbitMQ vhost, so the worker of
one module never consumes another module's (or another service's) events."""
import asyncio
import subprocess
from contextlib import ExitStack
from typing import AsyncIterator, Callable, Iterator

import httpx
import pytest
import pytest_asyncio

from bihuan_execution.evidence.testing import S3Server, discover_s3
from bihuan_execution.main import MIGRATIONS, create_app
from bihuan_execution.settings import ExecutionSettings
from bihuan_execution.testing import DAY0
from bihuan_execution.worker import runtime
from bihuan_shared.testing.services import running_app, running_worker
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.infra import create_vhost, delete_vhost


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """An S3-compatible server for the run (MinIO or moto), started only if a module asks for the s3 store."""
    with ExitStack() as stack:
        yield discover_s3(stack)


@pytest_asyncio.fixture(scope="module")
async def settings(request, make_database, infra, run_id, redis_prefix, tmp_path_factory) -> AsyncIterator[ExecutionSettings]:
    """A module's settings; a module parametrizing this fixture indirectly with "local" / "s3" runs on each evidence
    store in turn (a database, vhost and bucket of its own for each)."""
    store = getattr(request, "param", "local")
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_") + ("_s3" if store == "s3" else "")
    url = await make_database(f"exec_{name}")
    await upgrade_async(MIGRATIONS, url)
    vhost = f"bihuan_test_{run_id}_exec_{name}"
    await _with_retries(lambda: create_vhost(infra, vhost))
    yield ExecutionSettings(database_url=url, amqp_url=infra.vhost_url(vhost), redis_url=infra.redis_url,
                            redis_prefix=redis_prefix, retry_delay_ms=200, relay_poll_seconds=0.2,
                            overdue_clock_seconds=0.1, today=DAY0, db_pool_size=2, log_json=False,
                            evidence_dir=str(tmp_path_factory.mktemp(f"evidence_{name}")),
                            evidence_max_bytes=64 * 1024, **_s3_store(request, store, f"exec-{run_id}-{name}"))
    await _with_retries(lambda: delete_vhost(infra, vhost))


@pytest_asyncio.fixture(scope="module")
async def api(settings) -> AsyncIterator[httpx.AsyncClient]:
    """Execution's worker and API for a module (the worker learns targets from the module's own vhost)."""
    async with running_worker(runtime(settings)), running_app(create_app(settings)) as client:
        yield client



def _s3_store(request, store: str, bucket: str) -> dict:
    if store != "s3":
        return {}
    server = request.getfixturevalue("s3_server")
    return server.settings(server.make_bucket(bucket.replace("_", "-").lower()), prefix="bihuan/evidence/")


async def _with_retries(action: Callable[[], None], attempts: int = 4) -> None:
    """rabbitmqctl starts an Erlang VM per call; on a busy shared machine it sometimes fails and then succeeds."""
    for attempt in range(attempts):
        try:
            return await asyncio.to_thread(action)
        except subprocess.CalledProcessError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(1 + attempt)

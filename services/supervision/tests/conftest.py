"""One supervision database, app and worker for the module's tests, on this run's vhost and Redis prefix."""
import pytest_asyncio

from bihuan_shared.testing.infra import create_vhost, delete_vhost

from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.services import running_app, running_worker
from bihuan_supervision.main import MIGRATIONS, create_app
from bihuan_supervision.settings import SupervisionSettings
from bihuan_supervision.worker import runtime


@pytest_asyncio.fixture(scope="module")
async def settings(request, make_database, infra, run_id, redis_prefix):
    """Own database and vhost per module: the e2e system runs a supervision worker on the run's vhost, and two
    workers on one vhost would take each other's events."""
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    url = await make_database(f"supervision_{name}")
    await upgrade_async(MIGRATIONS, url)
    vhost = f"bihuan_test_{run_id}_supervision_{name}"
    create_vhost(infra, vhost)
    defaults = dict(retry_delay_ms=200, hotline_scope="demo", hotline_queue=f"supervision.hotline_feed.{name}",
                    hotline_batch_wait_ms=20, clock_seconds=0.3, warning_scan_seconds=0.3, feed_max_records=500,
                    db_pool_size=3)
    yield SupervisionSettings(database_url=url, amqp_url=infra.vhost_url(vhost), redis_url=infra.redis_url,
                               redis_prefix=f"{redis_prefix}_{name}",
                               **{**defaults, **getattr(request.module, "SETTINGS", {})})
    delete_vhost(infra, vhost)


@pytest_asyncio.fixture(scope="module")
async def client(settings):
    async with running_app(create_app(settings)) as c:
        yield c


@pytest_asyncio.fixture(scope="module")
async def worker(settings):
    async with running_worker(runtime(settings)) as w:
        yield w

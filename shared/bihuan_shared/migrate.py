"""Migrate one service's database to head: `python -m bihuan_shared.migrate <service> [--create-database]`.

Used by container images (a compose one-shot job, a Kubernetes init container), so it reads the service's own
settings from the environment (BIHUAN_<SERVICE>_DATABASE_URL). Several replicas may start at once: a PostgreSQL
advisory lock makes them migrate one after the other, and every one after the first finds the schema at head."""
import argparse
import asyncio
import logging
import sys
import time
import zlib
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Awaitable, Callable, TypeVar

import asyncpg

from bihuan_shared.db import asyncpg_dsn, ensure_database
from bihuan_shared.migrations import upgrade
from bihuan_shared.services import SERVICES, settings_class
from bihuan_shared.settings import ServiceSettings

log = logging.getLogger("bihuan.migrate")
T = TypeVar("T")


def service_settings(service: str) -> ServiceSettings:
    """The service's own settings, from env."""
    return settings_class(service)()


def service_migrations(service: str) -> Path:
    """bihuan_<service>/store/migrations (the layout every service shares) found without importing the web app,
    which would cost a migration job seconds of start-up; bihuan_<service>.main.MIGRATIONS otherwise."""
    spec = find_spec(f"bihuan_{service}")
    if spec is not None and spec.submodule_search_locations:
        candidate = Path(next(iter(spec.submodule_search_locations))) / "store" / "migrations"
        if (candidate / "env.py").exists():
            return candidate
    return import_module(f"bihuan_{service}.main").MIGRATIONS


async def _patiently(attempt: Callable[[], Awaitable[T]], wait_seconds: float) -> T:
    """PostgreSQL may still be starting (compose, a fresh cluster): retry connecting until wait_seconds pass."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return await attempt()
        except (OSError, asyncpg.CannotConnectNowError) as exc:
            if time.monotonic() >= deadline:
                raise
            log.warning("database not reachable yet: %r", exc)
            await asyncio.sleep(1)


async def migrate(service: str, *, create_database: bool = False, wait_seconds: float = 60) -> None:
    url = service_settings(service).database_url
    if create_database and await _patiently(lambda: ensure_database(url), wait_seconds):
        log.info("created database for %s", service)
    conn = await _patiently(lambda: asyncpg.connect(asyncpg_dsn(url), timeout=5), wait_seconds)
    lock_key = zlib.crc32(f"bihuan.migrate.{service}".encode())
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", lock_key)
        await asyncio.to_thread(upgrade, service_migrations(service), url)
        log.info("%s database at head", service)
    finally:
        await conn.close()  # closing the session releases the advisory lock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Migrate a Bihuan service's database to the latest revision.")
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--create-database", action="store_true",
                        help="create the database first if missing (needs rights on the 'postgres' database)")
    parser.add_argument("--wait", type=float, default=60, help="seconds to wait for PostgreSQL (default 60)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(migrate(args.service, create_database=args.create_database, wait_seconds=args.wait))
    return 0


if __name__ == "__main__":
    sys.exit(main())

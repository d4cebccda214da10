"""Helpers for benchmarks (`make bench`): a throwaway environment on the real servers, and robust statistics.

A service's benchmark lives in bihuan_<service>/bench.py and exposes `async def run(env: BenchEnv) -> dict`
returning its figures (numbers, named with their unit, e.g. "import_seconds_median"); it prints them as it goes.
Always measure a baseline in the same run and report the ratio: these machines are noisy."""
import os
import statistics
import time
import uuid
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable

from bihuan_shared.db import drop_database, ensure_database
from bihuan_shared.testing.infra import Infra, create_vhost, delete_vhost, discover


@dataclass
class BenchEnv:
    infra: Infra
    run_id: str
    amqp_url: str
    redis_prefix: str
    _databases: list[str] = field(default_factory=list)

    async def database(self, name: str) -> str:
        url = self.infra.database_url(f"bihuan_bench_{self.run_id}_{name}")
        await ensure_database(url)
        self._databases.append(url)
        return url


@asynccontextmanager
async def bench_environment() -> AsyncIterator[BenchEnv]:
    os.environ.setdefault("BIHUAN_ENV", "development")  # benchmarks mint tokens with the public dev secret
    with ExitStack() as stack:
        infra = discover(stack)
        run_id = uuid.uuid4().hex[:8]
        vhost = f"bihuan_bench_{run_id}"
        create_vhost(infra, vhost)
        env = BenchEnv(infra, run_id, infra.vhost_url(vhost), f"bihuan_bench_{run_id}")
        try:
            yield env
        finally:
            for url in env._databases:
                await drop_database(url)
            delete_vhost(infra, vhost)


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(name: str, value: float, unit: str) -> None:
    print(f"  {name:<48} {value:>14,.2f} {unit}", flush=True)

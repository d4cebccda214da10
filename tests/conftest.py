"""Cross-service tests start the real system with the local launcher, on this run's own databases and vhost,
on ports away from a developer's `make up`."""
import asyncio
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest_asyncio

from bihuan_shared.settings import ServiceSettings
from bihuan_shared.testing.services import bearer
from bihuan_shared.testing.processes import free_port

NAMES = ("planning", "execution", "supervision", "assessment")
ARTIFACTS = Path(os.environ.get("BIHUAN_ARTIFACTS", "artifacts"))


@dataclass
class System:
    urls: dict[str, str]
    process: subprocess.Popen
    log_path: Path

    def api(self, service: str) -> str:
        return self.urls[service] + "/api/v1"

    def headers(self, role: str, unit: str | None = None, scope: str = "e2e") -> dict:
        return bearer(ServiceSettings(), role, unit, scope)


async def _wait_ready(urls: dict[str, str], proc: subprocess.Popen, timeout: float = 90) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        for url in urls.values():
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"launcher exited with {proc.returncode}")
                try:
                    if (await client.get(url + "/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if loop.time() > deadline:
                    raise TimeoutError(f"{url} not ready")
                await asyncio.sleep(0.3)


@pytest_asyncio.fixture(scope="module")
async def system(make_database, amqp_url, infra, run_id):
    """The whole system as `make up` runs it (without the demo), stopped with SIGINT at the end of the module
    (one system at a time keeps the run inside PostgreSQL's connection limit)."""
    env = dict(os.environ, BIHUAN_AMQP_URL=amqp_url, BIHUAN_REDIS_URL=infra.redis_url,
               BIHUAN_REDIS_PREFIX=f"bihuan_test_{run_id}")
    urls = {}
    tag = uuid.uuid4().hex[:6]  # each module's system starts from empty databases
    for name in NAMES:
        prefix = f"BIHUAN_{name.upper()}_"
        port = free_port()  # several test runs (and a developer's `make up`) can share the machine
        env[prefix + "DATABASE_URL"] = await make_database(f"e2e_{tag}_{name}")
        env[prefix + "HTTP_PORT"] = str(port)
        env[prefix + "RETRY_DELAY_MS"] = "300"
        env[prefix + "DB_POOL_SIZE"] = "2"  # 8 processes per system; PostgreSQL allows 100 clients in all
        urls[name] = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"e2e-system-{run_id}.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "bihuan_local.launcher", "--no-demo", "--json-logs"], env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        await _wait_ready(urls, proc)
        yield System(urls, proc, log_path)
    finally:
        children = _children_of(proc.pid)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # what Ctrl-C sends to `make up`
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        survivors = [pid for pid in children if _alive(pid)]
        assert len(children) >= 8 and not survivors, f"launcher left processes behind: {survivors} of {children}"



def _children_of(parent: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            pids.append(int(stat.parent.name))
    return pids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"

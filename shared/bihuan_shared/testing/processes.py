"""The whole system as separate OS processes (every API and worker), each of which a fault test or a benchmark may
kill and start again; plus a private redis-server that can be stopped without touching anyone else's Redis.

Unlike the launcher, nothing here stops the rest when one process dies: that is the point of a fault test."""
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.routes import SERVICES, migrations


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PrivateRedis:
    """A redis-server of our own on a free port: stopping it hurts nobody else on a shared machine."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen([exe, "--port", str(self.port), "--save", "", "--appendonly", "no",
                                         "--bind", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@dataclass
class ProcessSystem:
    """APIs and workers of the four services on this run's databases, vhost and Redis."""

    db_urls: dict[str, str]
    amqp_url: str
    redis_url: str
    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def api(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}/api/v1"

    def env(self, service: str) -> dict[str, str]:
        prefix = f"BIHUAN_{service.upper()}_"
        env = dict(os.environ, **self.extra_env)
        env.update({prefix + "DATABASE_URL": self.db_urls[service], prefix + "AMQP_URL": self.amqp_url,
                    prefix + "REDIS_URL": self.redis_url, prefix + "HTTP_PORT": str(self.ports[service]),
                    prefix + "LOG_JSON": "true"})
        for key, value in self.extra_env.items():  # BIHUAN_X applies to every service, as in the launcher
            if key.startswith("BIHUAN_") and not key.startswith(tuple(f"BIHUAN_{s.upper()}_" for s in SERVICES)):
                env.setdefault(prefix + key.removeprefix("BIHUAN_"), value)
        return env

    def argv(self, label: str) -> list[str]:
        service, kind = label.rsplit("-", 1)
        if kind == "api":
            return [sys.executable, "-m", "uvicorn", "--factory", f"bihuan_{service}.main:app", "--host", "127.0.0.1",
                    "--port", str(self.ports[service]), "--no-access-log"]
        return [sys.executable, "-m", f"bihuan_{service}.worker"]

    def start(self, label: str) -> None:
        service = label.rsplit("-", 1)[0]
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{label}.log", "ab")
        self.procs[label] = subprocess.Popen(self.argv(label), env=self.env(service), stdout=log,
                                             stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def kill(self, label: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs[label]
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=30)

    async def start_all(self, apis: bool = True) -> None:
        for service in SERVICES:
            await upgrade_async(migrations(service), self.db_urls[service])
            self.ports.setdefault(service, free_port())
        for service in SERVICES:
            self.start(f"{service}-worker")
            if apis:
                self.start(f"{service}-api")
        if apis:
            await self.wait_ready()

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            for service in SERVICES:
                while True:
                    try:
                        if (await client.get(self.api(service).removesuffix("/api/v1") + "/readyz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    dead = [k for k, p in self.procs.items() if p.poll() is not None]
                    if dead or time.monotonic() > deadline:
                        raise RuntimeError(f"system not ready (dead: {dead}); logs in {self.log_dir}")
                    await asyncio.sleep(0.2)

    def stop_all(self) -> None:
        for label in list(self.procs):
            try:
                self.kill(label, signal.SIGTERM)
            except subprocess.TimeoutExpired:
                self.kill(label, signal.SIGKILL)
            except ProcessLookupError:
                pass

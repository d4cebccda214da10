"""HTTP load for benchmarks: a service's API in its own uvicorn process, many keep-alive clients on a minimal asyncio
HTTP/1.1 client (httpx's pool costs more CPU than the server at hundreds of connections on two cores, and would
measure itself), and latency figures."""
import asyncio
import os
import subprocess
import sys
import time

import httpx

from bihuan_shared.testing.bench import median, percentile, report
from bihuan_shared.testing.processes import free_port  # noqa: F401  (re-exported for benchmarks)


class RawClient:
    """One keep-alive HTTP/1.1 connection: just enough protocol for JSON requests with Content-Length replies."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes = b"") -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        lines = [f"{method} {path} HTTP/1.1", "Host: bench", f"Content-Length: {len(body)}"]
        if body:
            lines.append("Content-Type: application/json")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def load(clients: int, total: int, request) -> tuple[float, list[float], int]:
    """`clients` concurrent loops share `total` requests; returns wall seconds, latencies, failures."""
    latencies: list[float] = []
    failures = 0
    counter = iter(range(total))

    async def client(c: int) -> None:
        nonlocal failures
        for n in counter:
            started = time.perf_counter()
            try:
                ok = await request(c, n)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                ok = False
            latencies.append(time.perf_counter() - started)
            failures += not ok

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    return time.perf_counter() - started, latencies, failures


async def latency_figures(name: str, clients: int, total: int, request) -> dict:
    """p50 / p95 of `total` requests at `clients` concurrent connections; refuses figures with failures."""
    _, lat, failures = await load(clients, total, request)
    if failures:
        raise RuntimeError(f"{failures} of {total} {name} requests failed: figures not valid")
    figures = {f"{name}_p50_ms": median(lat) * 1000, f"{name}_p95_ms": percentile(lat, 95) * 1000}
    for key, value in figures.items():
        report(key, value, "ms")
    return figures


def start_api(service: str, env_vars: dict[str, str], port: int) -> subprocess.Popen:
    environ = dict(os.environ, **env_vars, **{f"BIHUAN_{service.upper()}_LOG_LEVEL": "WARNING"})
    return subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", f"bihuan_{service}.main:app",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
                            env=environ)


async def wait_ready(base: str, server: subprocess.Popen) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=5) as http:
        for _ in range(300):
            if server.poll() is not None:
                raise RuntimeError("uvicorn exited")
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{base} not ready")

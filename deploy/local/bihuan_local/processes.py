"""Starting, watching and stopping the service processes, each in its own process group so that nothing outlives
the launcher."""
import asyncio
import os
import signal
import sys
from dataclasses import dataclass

from bihuan_local.catalog import Service

COLORS = ["\033[36m", "\033[32m", "\033[33m", "\033[35m"]
RESET = "\033[0m"


@dataclass
class Child:
    label: str
    process: asyncio.subprocess.Process


def commands(svc: Service) -> list[tuple[str, list[str]]]:
    return [
        (f"{svc.name}-api", [sys.executable, "-m", "uvicorn", "--factory", f"{svc.package}.main:app",
                             "--host", "127.0.0.1", "--port", str(svc.http_port()), "--no-access-log"]),
        (f"{svc.name}-worker", [sys.executable, "-m", f"{svc.package}.worker"]),
    ]


async def start(svc: Service, index: int, json_logs: bool, workers: int = 1) -> list[Child]:
    children = []
    color = COLORS[index % len(COLORS)] if sys.stdout.isatty() else ""
    for label, argv in commands(svc):
        copies = workers if label.endswith("worker") else 1
        for n in range(copies):
            name = label if copies == 1 else f"{label}-{n + 1}"
            proc = await asyncio.create_subprocess_exec(
                *argv, env=svc.child_env(json_logs), stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT, start_new_session=True)
            asyncio.create_task(_pump(name, proc, color))
            children.append(Child(name, proc))
    return children


async def start_console(index: int) -> list[Child]:
    """The console's web server (static app + reverse proxy + dev login) as one more child."""
    color = COLORS[index % len(COLORS)] if sys.stdout.isatty() else ""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bihuan_local.console_server", env=dict(os.environ), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, start_new_session=True)
    asyncio.create_task(_pump("console", proc, color))
    return [Child("console", proc)]


async def _pump(label: str, proc: asyncio.subprocess.Process, color: str) -> None:
    assert proc.stdout is not None
    prefix = f"{color}{label:<20}{RESET if color else ''}| "
    async for line in proc.stdout:
        sys.stdout.write(prefix + line.decode(errors="replace"))
        sys.stdout.flush()


async def stop_all(children: list[Child], grace: float = 10.0) -> None:
    for child in children:
        _signal(child, signal.SIGTERM)
    try:
        await asyncio.wait_for(asyncio.gather(*(c.process.wait() for c in children)), timeout=grace)
    except TimeoutError:
        for child in children:
            _signal(child, signal.SIGKILL)
        await asyncio.gather(*(c.process.wait() for c in children))


def _signal(child: Child, sig: int) -> None:
    try:
        os.killpg(child.process.pid, sig)
    except ProcessLookupError:
        pass

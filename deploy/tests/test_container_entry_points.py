"""The commands the images run besides the API and the worker, against the real servers: the migration job (several
replicas at once, as Kubernetes init containers start them) and the container health check."""
import asyncio
import logging
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from bihuan_shared.db import asyncpg_dsn
from bihuan_shared.healthcheck import main as healthcheck
from bihuan_shared.migrate import migrate, service_migrations
from bihuan_shared.migrations import alembic_config


async def _run(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = await asyncio.create_subprocess_exec(sys.executable, *argv, env={**os.environ, **env},
                                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    return subprocess.CompletedProcess(argv, proc.returncode, out.decode())


async def test_migrate_command_brings_a_database_to_head(make_database):
    url = await make_database("deploy_migrate_cli")
    result = await _run("-m", "bihuan_shared.migrate", "planning", "--wait", "10",
                        env={"BIHUAN_PLANNING_DATABASE_URL": url})
    assert result.returncode == 0, result.stdout
    assert await _revision(url) == _head("planning", url)


async def test_migrate_replicas_starting_together_run_the_revisions_once(make_database, monkeypatch, caplog):
    url = await make_database("deploy_migrate_race")
    monkeypatch.setenv("BIHUAN_ASSESSMENT_DATABASE_URL", url)
    caplog.set_level(logging.INFO, logger="alembic")
    await asyncio.gather(*(migrate("assessment", wait_seconds=10) for _ in range(3)))
    # One replica ran the revisions; the others waited on the advisory lock and found nothing left to do.
    first = [r for r in caplog.records if r.getMessage().startswith("Running upgrade  ->")]
    assert len(first) == 1
    assert await _revision(url) == _head("assessment", url)


async def test_migrate_gives_up_when_the_database_never_answers(monkeypatch, caplog):
    monkeypatch.setenv("BIHUAN_EXECUTION_DATABASE_URL", f"postgresql+asyncpg://postgres@127.0.0.1:{_free_port()}/x")
    with pytest.raises(OSError):
        await migrate("execution", wait_seconds=1)
    assert any("database not reachable yet" in r.getMessage() for r in caplog.records)


def _head(service: str, url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(service_migrations(service), url)).get_current_head()


async def _revision(url: str) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await conn.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fake_api():
    """An HTTP server on a free port whose /healthz status the test sets."""
    state = {"status": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(state["status"] if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], state
    server.shutdown()


def test_healthcheck_follows_the_api_healthz(fake_api):
    port, state = fake_api
    assert healthcheck(["--service", "planning", "--port", str(port)]) == 0
    state["status"] = 503
    assert healthcheck(["--service", "planning", "--port", str(port)]) == 1
    assert healthcheck(["--service", "planning", "--port", str(_free_port())]) == 1


def test_healthcheck_finds_the_port_from_the_service_settings(fake_api, monkeypatch):
    port, _ = fake_api
    monkeypatch.setenv("BIHUAN_SERVICE", "supervision")
    monkeypatch.setenv("BIHUAN_SUPERVISION_HTTP_PORT", str(port))
    assert healthcheck([]) == 0


async def test_worker_healthcheck_needs_both_database_and_broker(make_database, amqp_url, monkeypatch):
    url = await make_database("deploy_health")
    monkeypatch.setenv("BIHUAN_ASSESSMENT_DATABASE_URL", url)
    monkeypatch.setenv("BIHUAN_ASSESSMENT_AMQP_URL", amqp_url)
    args = ["--service", "assessment", "--dependencies"]
    assert await asyncio.to_thread(healthcheck, args) == 0
    monkeypatch.setenv("BIHUAN_ASSESSMENT_AMQP_URL", f"amqp://guest:guest@127.0.0.1:{_free_port()}/")
    assert await asyncio.to_thread(healthcheck, args) == 1
    monkeypatch.setenv("BIHUAN_ASSESSMENT_AMQP_URL", amqp_url)
    monkeypatch.setenv("BIHUAN_ASSESSMENT_DATABASE_URL", url.rsplit("/", 1)[0] + "/bihuan_no_such_database")
    assert await asyncio.to_thread(healthcheck, args) == 1


def test_migrate_finds_the_same_migrations_as_each_service_declares():
    from importlib import import_module

    for service in ("planning", "execution", "supervision", "assessment"):
        assert service_migrations(service) == import_module(f"bihuan_{service}.main").MIGRATIONS

"""Where the real servers are for a test run.

1. Environment variables (BIHUAN_TEST_PG_URL, BIHUAN_TEST_AMQP_URL, BIHUAN_TEST_REDIS_URL) win: CI and this machine.
2. Else, where a Docker engine answers, testcontainers starts PostgreSQL, RabbitMQ and Redis for the run.
3. Else the servers on localhost at their default ports.
Each run then makes its own databases and RabbitMQ vhost, and removes them at the end."""
import os
import shutil
import subprocess
from contextlib import ExitStack
from dataclasses import dataclass
from urllib.parse import quote

import httpx

LOCAL_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


@dataclass
class Infra:
    pg_url: str        # a server-level URL (database 'postgres'); per-run databases are made beside it
    amqp_url: str      # broker URL without vhost
    redis_url: str
    rabbitmq_api: str | None = None  # management API, used for vhosts where rabbitmqctl is not at hand
    origin: str = "local"

    def database_url(self, name: str) -> str:
        return self.pg_url.rsplit("/", 1)[0] + "/" + name

    def vhost_url(self, vhost: str) -> str:
        return self.amqp_url.rstrip("/") + "/" + quote(vhost, safe="")


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def discover(stack: ExitStack) -> Infra:
    env = os.environ
    if any(env.get(k) for k in ("BIHUAN_TEST_PG_URL", "BIHUAN_TEST_AMQP_URL", "BIHUAN_TEST_REDIS_URL")):
        return Infra(env.get("BIHUAN_TEST_PG_URL", LOCAL_PG), env.get("BIHUAN_TEST_AMQP_URL", LOCAL_AMQP),
                     env.get("BIHUAN_TEST_REDIS_URL", LOCAL_REDIS), env.get("BIHUAN_TEST_RABBITMQ_API"), "env")
    if env.get("BIHUAN_TEST_CONTAINERS", "auto") != "never" and _docker_available():
        return _containers(stack)
    return Infra(LOCAL_PG, LOCAL_AMQP, LOCAL_REDIS, env.get("BIHUAN_TEST_RABBITMQ_API"), "local")


def _containers(stack: ExitStack) -> Infra:
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer
    from testcontainers.redis import RedisContainer

    pg = stack.enter_context(PostgresContainer("postgres:15", username="postgres", password="postgres"))
    mq = stack.enter_context(RabbitMqContainer("rabbitmq:3.13-management"))
    rd = stack.enter_context(RedisContainer("redis:7"))
    pg_url = f"postgresql+asyncpg://postgres:postgres@{pg.get_container_host_ip()}:{pg.get_exposed_port(5432)}/postgres"
    host = mq.get_container_host_ip()
    amqp = f"amqp://guest:guest@{host}:{mq.get_exposed_port(5672)}/"
    api = f"http://guest:guest@{host}:{mq.get_exposed_port(15672)}/api"
    redis_url = f"redis://{rd.get_container_host_ip()}:{rd.get_exposed_port(6379)}/0"
    return Infra(pg_url, amqp, redis_url, api, "testcontainers")


def create_vhost(infra: Infra, vhost: str) -> None:
    if infra.rabbitmq_api:
        _api(infra, "PUT", f"/vhosts/{quote(vhost, safe='')}")
        _api(infra, "PUT", f"/permissions/{quote(vhost, safe='')}/guest",
             json={"configure": ".*", "write": ".*", "read": ".*"})
        return
    _ctl("add_vhost", vhost)
    _ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")


def delete_vhost(infra: Infra, vhost: str) -> None:
    if infra.rabbitmq_api:
        _api(infra, "DELETE", f"/vhosts/{quote(vhost, safe='')}")
    else:
        _ctl("delete_vhost", vhost)


def _ctl(*args: str) -> None:
    exe = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([exe, "-q", *args], check=True, capture_output=True, timeout=60)


def _api(infra: Infra, method: str, path: str, json: dict | None = None) -> None:
    assert infra.rabbitmq_api
    httpx.request(method, infra.rabbitmq_api + path, json=json, timeout=30).raise_for_status()

"""Create what the system needs on the local servers if it is missing: four databases (migrated) and the vhost."""
import asyncio
import logging
import os
import shutil
import subprocess
from urllib.parse import unquote, urlparse

import httpx

from bihuan_local.catalog import SERVICES, amqp_url
from bihuan_shared.db import ensure_database
from bihuan_shared.migrations import upgrade

log = logging.getLogger("bihuan.launcher")


async def provision_databases() -> None:
    for svc in SERVICES:
        url = svc.database_url()
        if await ensure_database(url):
            log.info("created database for %s", svc.name)
        await asyncio.to_thread(upgrade, svc.migrations, url)


def provision_vhost() -> None:
    vhost = unquote(urlparse(amqp_url()).path.lstrip("/")) or "/"
    if vhost == "/":
        return
    api = os.environ.get("BIHUAN_RABBITMQ_API")
    if api:
        httpx.put(f"{api}/vhosts/{vhost}", timeout=30).raise_for_status()
        httpx.put(f"{api}/permissions/{vhost}/guest", json={"configure": ".*", "write": ".*", "read": ".*"},
                  timeout=30).raise_for_status()
        return
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    existing = subprocess.run([ctl, "-q", "list_vhosts"], capture_output=True, text=True, check=True).stdout.split()
    if vhost not in existing:
        subprocess.run([ctl, "-q", "add_vhost", vhost], check=True, capture_output=True)
        log.info("created RabbitMQ vhost %s", vhost)
    subprocess.run([ctl, "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True,
                   capture_output=True)


async def provision_topology() -> None:
    """Declare every service's event queues before any process starts, so that an event published on the very
    first start (before a worker has come up) already has a queue to wait in instead of being dropped."""
    from importlib import import_module

    from bihuan_shared.bus.connection import connect
    from bihuan_shared.bus.topology import declare_consumer_queues
    from bihuan_shared.services import settings_class

    for svc in SERVICES:
        settings = settings_class(svc.name)(_env_file=None, **_overrides(svc))
        connection = await connect(settings.amqp_url, "bihuan-provision")
        try:
            channel = await connection.channel()
            for spec in import_module(f"{svc.package}.worker").runtime(settings).consumers:
                await declare_consumer_queues(channel, f"{settings.service_name}.{spec.purpose}",
                                              list(spec.handlers), settings.retry_delay_ms)
        finally:
            await connection.close()


def _overrides(svc) -> dict:
    """The settings a service's processes will see (their env), read the same way they will read them."""
    prefix = svc.env_prefix
    return {k[len(prefix):].lower(): v for k, v in svc.child_env(json_logs=False).items() if k.startswith(prefix)}

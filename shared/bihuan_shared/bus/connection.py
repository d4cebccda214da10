"""Robust broker connections: aio-pika reconnects and re-declares channels, queues and consumers by itself."""
import aio_pika
from aio_pika.abc import AbstractRobustConnection


async def connect(amqp_url: str, name: str) -> AbstractRobustConnection:
    return await aio_pika.connect_robust(amqp_url, client_properties={"connection_name": name}, reconnect_interval=1)

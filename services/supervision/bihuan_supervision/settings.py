from typing import Annotated

from pydantic import Field, IPvAnyNetwork
from pydantic_settings import SettingsConfigDict

from bihuan_shared.settings import ServiceSettings


class SupervisionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BIHUAN_SUPERVISION_", extra="ignore")

    service_name: str = "supervision"
    http_port: int = 8103
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/bihuan_supervision"

    # Feeds: limits a client hits with a clear 413 / 422, not a timeout.
    feed_max_records: int = 50_000
    feed_max_body_bytes: int = 64 * 1024 * 1024
    feed_requests_per_minute: int = 600  # per feed identity, counted in Redis
    feed_max_file_bytes: int = 512 * 1024 * 1024
    feed_file_chunk: int = 10_000
    # The queue the 12345 hotline center publishes raw work orders to (default exchange, routing key = queue name).
    hotline_queue: str = "supervision.hotline_feed"
    hotline_scope: str = "demo"          # the district (or city: routed by district) the hotline queue feeds
    # Counted in messages: 5,000 suits one order per message; a center sending arrays of N orders wants about
    # 20,000 / N, so that competing workers share the queue rather than the first one holding it all.
    hotline_prefetch: int = 5000
    hotline_batch: int = 5000
    hotline_batch_wait_ms: int = 50
    # One hotline message may carry an array of orders (each at most a few KB: content 4,000 characters, 100 status
    # changes), so its cap is the batch's byte budget, not the 1 MiB of an event: 16 MiB, about 10,000 orders.
    hotline_max_message_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    # Clock: how often the worker looks for due-soon milestones, overdue orders, spikes and late metric data.
    clock_seconds: float = 30.0
    # The clock's full scan for milestones coming due (events keep warnings current in between).
    warning_scan_seconds: float = 600.0
    # Drills and tests: run the clock this many days ahead (escalation, due-soon warnings); 0 in production.
    clock_shift_days: int = 0
    # The clock closes last month (and its quarter / year) this many days after it ended; 0 leaves it to the office.
    metrics_close_after_days: int = 5
    # Outgoing webhook: a durable queue in the database, signed with HMAC-SHA256, retried with exponential backoff
    # (webhook_backoff_seconds, doubling, capped at an hour) until webhook_max_attempts, then kept as failed.
    webhook_timeout_seconds: float = 3.0
    webhook_secret: str = ""             # signs for scopes whose warning rules set no secret of their own
    webhook_max_attempts: int = 8
    webhook_backoff_seconds: float = 5.0
    webhook_poll_seconds: float = 1.0    # how often the worker looks for due retries (commits wake it at once)
    webhook_batch: int = 50
    # Where the webhook may post (events/webhook_address.py): public addresses on these ports (empty: any port), and
    # any port of these networks (CIDR), e.g. an internal relay:
    # BIHUAN_SUPERVISION_WEBHOOK_ALLOWED_NETWORKS='["10.20.0.5/32"]'.
    # Loopback, private, link-local, CGNAT, multicast and reserved addresses are refused unless listed here.
    webhook_allowed_networks: list[IPvAnyNetwork] = Field(default_factory=list)
    webhook_allowed_ports: list[Annotated[int, Field(ge=1, le=65535)]] = Field(default_factory=lambda: [80, 443])
    # Delivered webhook rows are kept this long for inspection, failed ones longer (someone should look at them).
    webhook_keep_delivered_days: int = 30
    webhook_keep_failed_days: int = 90

"""Settings every service shares; each service subclasses with its own env prefix (BIHUAN_PLANNING_ ...)."""
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BIHUAN_", extra="ignore")

    service_name: str = "bihuan"
    http_host: str = "127.0.0.1"
    http_port: int = 8100
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/bihuan"
    db_pool_size: int = 10
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/bihuan"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Prefix for every Redis key so several deployments (or test runs) can share one Redis.
    redis_prefix: str = "bihuan"

    # Bus behaviour: prefetch is deliberate (throughput paths want >= 100), retries are bounded.
    prefetch: int = 100
    max_retries: int = 3
    retry_delay_ms: int = 2000
    relay_batch_size: int = 500
    relay_poll_seconds: float = 1.0

    # Auth: HS256 with a dev secret by default; RS256 + JWKS for a real identity provider.
    jwt_secret: str = Field(default="bihuan-dev-secret-change-me-in-production-32b")
    jwt_algorithm: str = "HS256"
    jwt_jwks_url: str | None = None
    jwt_audience: str = "bihuan"
    jwt_issuer: str = "bihuan-dev"

    # Limits on what a client may send (web.limits): a request body (JSON, forms) and an upload (multipart,
    # octet-stream; routes bound their files themselves, this is the safety net), and per path prefix where a route
    # needs another limit, e.g. BIHUAN_PLANNING_BODY_LIMITS='{"/api/v1/targets": 1048576}'.
    max_body_bytes: int = 64 * 1024 * 1024
    max_upload_bytes: int = 1024 * 1024 * 1024
    body_limits: dict[str, int] = Field(default_factory=dict)
    # Uploaded workbooks (web.sheet_limits): inflated size of all parts, columns and rows per sheet, parses at once.
    sheet_max_unzipped_bytes: int = 64 * 1024 * 1024
    sheet_max_columns: int = 16_384
    sheet_max_rows: int = 200_000
    sheet_parse_concurrency: int = 2

    log_level: str = "INFO"
    log_json: bool = True

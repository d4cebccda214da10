"""Settings every service shares; each service subclasses with its own env prefix (BIHUAN_PLANNING_ ...)."""
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bihuan_shared.events.limits import MAX_MESSAGE_BYTES


# Written in the repository, so anyone can forge tokens with it: accepted only in development mode.
PUBLIC_DEV_SECRET = "bihuan-dev-secret-change-me-in-production-32b"
MIN_SECRET_BYTES = 32
# Also public: seals the audit chain (bihuan_shared.audit) in development only.
PUBLIC_DEV_AUDIT_KEY = "bihuan-dev-audit-key-change-me-in-production-32"


class InsecureSettings(RuntimeError):
    """A process refuses to start with settings that let anyone forge a token."""


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BIHUAN_", extra="ignore", populate_by_name=True)

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
    # The largest event body a consumer parses (a bigger one is dead-lettered unread); producers refuse to stage
    # more than the kit's MAX_MESSAGE_BYTES, so raising this only matters for messages from outside.
    max_message_bytes: int = Field(default=MAX_MESSAGE_BYTES, gt=0)

    # Development mode, one name for the whole kit: BIHUAN_ENV=development (never a per-service prefix, so one
    # variable switches the launcher, the console's dev login, `make token` and the test harness together). Anything
    # else is production: the public secret below is refused at startup (check_secret).
    environment: str = Field(default="production", validation_alias="BIHUAN_ENV")

    # Auth: HS256 with a dev secret by default (development only); RS256 + JWKS for a real identity provider.
    jwt_secret: str = Field(default=PUBLIC_DEV_SECRET)
    jwt_algorithm: str = "HS256"
    jwt_jwks_url: str | None = None
    jwt_audience: str = "bihuan"
    jwt_issuer: str = "bihuan-dev"
    # Keys the HMAC of the audit chain, per service (BIHUAN_PLANNING_AUDIT_KEY ...); without it anyone who can write
    # the database could rewrite the chain. The public development key is refused outside development (check_secret).
    audit_key: str = Field(default=PUBLIC_DEV_AUDIT_KEY)

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

    # Writes (POST/PUT/PATCH/DELETE) per caller (token subject and scope) and minute, counted in Redis
    # (web.write_budget); routes with a budget of their own (feeds) keep theirs. 0 switches it off.
    write_rate_per_minute: int = 600
    # /readyz (web.readiness): an answer is kept this long, and each probe is bounded (k8s allows the probe 3 s).
    readiness_cache_seconds: float = 1.0
    readiness_probe_timeout_seconds: float = 0.8

    log_level: str = "INFO"
    log_json: bool = True

    @property
    def development(self) -> bool:
        return self.environment.strip().lower() == "development"


def check_secret(settings: ServiceSettings) -> None:
    """Startup guard of every API, worker and dev-token tool: outside development the HS256 secret and the audit key
    must be private and at least 32 bytes. A JWKS (RS256) configuration verifies with the provider's keys and needs
    no JWT secret; the audit key it still needs."""
    if settings.development:
        return
    prefix = settings.model_config.get("env_prefix", "BIHUAN_")
    if not settings.jwt_jwks_url and _public_or_short(settings.jwt_secret, PUBLIC_DEV_SECRET):
        raise InsecureSettings(
            f"拒绝启动：{prefix}JWT_SECRET 为仓库中公开的开发密钥或短于 {MIN_SECRET_BYTES} 字节，任何人都可伪造令牌。"
            f"请设置私有密钥（或配置 {prefix}JWT_JWKS_URL），开发环境请显式设置 BIHUAN_ENV=development。 / "
            f"Refusing to start: {prefix}JWT_SECRET is the public development secret or shorter than "
            f"{MIN_SECRET_BYTES} bytes; set a private secret (or {prefix}JWT_JWKS_URL), or BIHUAN_ENV=development "
            f"for development.")
    if _public_or_short(settings.audit_key, PUBLIC_DEV_AUDIT_KEY):
        raise InsecureSettings(
            f"拒绝启动：{prefix}AUDIT_KEY 为仓库中公开的开发密钥或短于 {MIN_SECRET_BYTES} 字节，审计链可被改写而不被发现。"
            f"请设置私有密钥，开发环境请显式设置 BIHUAN_ENV=development。 / "
            f"Refusing to start: {prefix}AUDIT_KEY is the public development key or shorter than {MIN_SECRET_BYTES} "
            f"bytes, so the audit chain could be rewritten unnoticed; set a private key, or BIHUAN_ENV=development.")


def _public_or_short(secret: str, public: str) -> bool:
    return secret == public or len(secret.encode()) < MIN_SECRET_BYTES

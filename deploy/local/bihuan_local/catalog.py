"""The four services, their ports and databases, and the environment each process of theirs is started with."""
import os
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from sqlalchemy.engine import make_url


@dataclass(frozen=True)
class Service:
    name: str
    port: int

    @property
    def package(self) -> str:
        return f"bihuan_{self.name}"

    @property
    def env_prefix(self) -> str:
        return f"BIHUAN_{self.name.upper()}_"

    @property
    def migrations(self) -> Path:
        return import_module(f"{self.package}.main").MIGRATIONS

    def setting(self, key: str, default: str) -> str:
        return os.environ.get(self.env_prefix + key.upper(), default)

    def database_url(self) -> str:
        server = os.environ.get("BIHUAN_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
        return self.setting("database_url", str(make_url(server).set(database=f"bihuan_{self.name}")
                                                 .render_as_string(hide_password=False)))

    def http_port(self) -> int:
        return int(self.setting("http_port", str(self.port)))

    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port()}"

    def child_env(self, json_logs: bool) -> dict[str, str]:
        """Environment for this service's processes: global URLs unless the service's own variable is set."""
        env = dict(os.environ)
        shared = {
            "amqp_url": os.environ.get("BIHUAN_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/bihuan"),
            "redis_url": os.environ.get("BIHUAN_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "database_url": self.database_url(),
            "http_port": str(self.http_port()),
            "log_json": "true" if json_logs else "false",
            # The demo writes a district's year in minutes under a few identities: no write budget locally unless
            # BIHUAN_WRITE_RATE_PER_MINUTE asks for one.
            "write_rate_per_minute": os.environ.get("BIHUAN_WRITE_RATE_PER_MINUTE", "0"),
        }
        for key, value in shared.items():
            env.setdefault(self.env_prefix + key.upper(), value)
        for key in ("JWT_SECRET", "AUDIT_KEY", "JWT_ISSUER", "JWT_AUDIENCE", "JWT_JWKS_URL", "REDIS_PREFIX"):
            if f"BIHUAN_{key}" in os.environ:
                env.setdefault(self.env_prefix + key, os.environ[f"BIHUAN_{key}"])
        return env


SERVICES = [Service("planning", 8101), Service("execution", 8102), Service("supervision", 8103),
            Service("assessment", 8104)]


def amqp_url() -> str:
    return os.environ.get("BIHUAN_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/bihuan")

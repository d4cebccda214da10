from datetime import date

from pydantic_settings import SettingsConfigDict

from bihuan_shared.settings import ServiceSettings

EVIDENCE_TYPES = [
    "application/pdf", "image/jpeg", "image/png", "text/plain",
    "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip",
]


class ExecutionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BIHUAN_EXECUTION_", extra="ignore")

    service_name: str = "execution"
    http_port: int = 8102
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/bihuan_execution"
    due_soon_days: int = 7

    # The clock: due dates are calendar days in the city's time zone. `today` pins the date (tests, replays).
    timezone: str = "Asia/Shanghai"
    today: date | None = None
    overdue_clock_seconds: float = 60.0
    overdue_batch_size: int = 500

    # Evidence files: local disk by default (content-addressed by sha256).
    evidence_dir: str = "var/execution-evidence"
    evidence_max_bytes: int = 20 * 1024 * 1024
    evidence_types: list[str] = EVIDENCE_TYPES

from datetime import date

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from bihuan_shared.settings import ServiceSettings

EVIDENCE_TYPES = [
    "application/pdf", "image/jpeg", "image/png", "text/plain",
    "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip",
]


# Boundaries and part headers around an evidence file in a multipart body.
EVIDENCE_MULTIPART_OVERHEAD = 16 * 1024


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

    @model_validator(mode="after")
    def bound_evidence_uploads(self) -> "ExecutionSettings":
        """Refuse an oversized evidence upload at the door (the kit's upload limit, for multipart bodies), before
        multipart parsing spools it; the route still counts the file's own bytes exactly. Evidence is this service's
        only upload, so the upload limit never needs to be larger than an evidence file."""
        self.max_upload_bytes = min(self.max_upload_bytes, self.evidence_max_bytes + EVIDENCE_MULTIPART_OVERHEAD)
        return self

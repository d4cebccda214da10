from datetime import date
from typing import Literal

from pydantic import Field, SecretStr, model_validator
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
    # A progress report may be dated at most this many days before the day it is filed (补录); older is backdating.
    report_backdate_days: int = Field(default=7, ge=0)
    overdue_batch_size: int = 500

    # Evidence files, content-addressed by sha256: on local disk (one copy of the service, or a shared volume) or in
    # an S3-compatible object store (AWS, MinIO, Ceph, a city's object store), which every copy reaches.
    evidence_store: Literal["local", "s3"] = "local"
    evidence_dir: str = "var/execution-evidence"
    evidence_max_bytes: int = 20 * 1024 * 1024
    evidence_types: list[str] = EVIDENCE_TYPES
    evidence_s3_endpoint_url: str | None = None  # None: AWS itself; e.g. http://minio:9000
    evidence_s3_bucket: str = ""
    evidence_s3_region: str = "us-east-1"
    # None: the SDK's own chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, an instance or pod role).
    evidence_s3_access_key: str | None = None
    evidence_s3_secret_key: SecretStr | None = None
    evidence_s3_path_style: bool = True  # http://host/bucket/key: MinIO, Ceph and most on-premises stores need it
    evidence_s3_prefix: str = ""  # e.g. "execution/evidence/" when the bucket is shared
    # Files larger than a part go up in parts, one part in memory at a time (S3's smallest part is 5 MiB).
    evidence_s3_part_bytes: int = Field(default=8 * 1024 * 1024, ge=5 * 1024 * 1024)
    evidence_s3_timeout_seconds: float = Field(default=10.0, gt=0)
    evidence_s3_max_attempts: int = Field(default=3, ge=1)

    @model_validator(mode="after")
    def check_evidence_store(self) -> "ExecutionSettings":
        if self.evidence_store == "s3" and not self.evidence_s3_bucket:
            raise ValueError("evidence_store=s3 needs evidence_s3_bucket")
        prefix = self.evidence_s3_prefix.strip("/")
        self.evidence_s3_prefix = prefix + "/" if prefix else ""
        return self

    @model_validator(mode="after")
    def bound_evidence_uploads(self) -> "ExecutionSettings":
        """Refuse an oversized evidence upload at the door (the kit's upload limit, for multipart bodies), before
        multipart parsing spools it; the route still counts the file's own bytes exactly. Evidence is this service's
        only upload, so the upload limit never needs to be larger than an evidence file."""
        self.max_upload_bytes = min(self.max_upload_bytes, self.evidence_max_bytes + EVIDENCE_MULTIPART_OVERHEAD)
        return self

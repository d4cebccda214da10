"""Settings choose where evidence lives: `evidence_store=local` (a directory) or `s3` (an S3-compatible bucket)."""
from bihuan_execution.evidence.storage import EvidenceStorage, LocalDiskStorage
from bihuan_execution.settings import ExecutionSettings


def storage_for(settings: ExecutionSettings) -> EvidenceStorage:
    if settings.evidence_store == "s3":
        from bihuan_execution.evidence.s3 import S3Storage, s3_client  # boto3 is loaded only where it is used

        return S3Storage(s3_client(settings), settings.evidence_s3_bucket, settings.evidence_s3_prefix,
                         settings.evidence_s3_part_bytes)
    return LocalDiskStorage(settings.evidence_dir)


def app_storage(state, settings: ExecutionSettings) -> EvidenceStorage:
    """One store per app: an S3 client keeps its connection pool between requests."""
    storage = getattr(state, "evidence_storage", None)
    if storage is None:
        storage = state.evidence_storage = storage_for(settings)
    return storage

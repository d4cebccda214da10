"""What a store failure means to a caller: the store is down (503, try again later), or a file it should hold is
gone (the record stays; an administrator restores the file from its hash)."""
import logging

from bihuan_shared.web.errors import DomainError, NotFound

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


class StoreUnavailable(DomainError):
    status_code = 503
    default_code = "evidence_store_unavailable"

    def __init__(self, message: str = "佐证材料存储暂时不可用，请稍后重试", **kwargs):
        super().__init__(message, **kwargs)
        self.headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @classmethod
    def because(cls, cause: BaseException) -> "StoreUnavailable":
        log.warning("evidence store unavailable", extra={"error": repr(cause)[:500]})
        return cls()


class FileMissing(NotFound):
    default_code = "evidence_file_missing"

    @classmethod
    def of(cls, key: str) -> "FileMissing":
        log.error("evidence file missing from the store", extra={"key": key})
        return cls("佐证材料文件在存储中缺失，请联系管理员")

"""Dependencies shared by planning's routes."""
from typing import Annotated

from fastapi import Depends, UploadFile

from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.errors import Invalid, TooLarge

TargetOffice = Annotated[Principal, Depends(require_roles(Role.TARGET_OFFICE))]
# People who read target books, contracts and proposals; machine feeds (12345 hotline…) have no business there.
Reader = Annotated[Principal, Depends(require_roles(*(r for r in Role if r != Role.FEED)))]
Signer = Annotated[Principal, Depends(require_roles(Role.LEADER, Role.TARGET_OFFICE))]
Proposer = Annotated[Principal, Depends(require_roles(Role.TARGET_OFFICE, Role.UNIT_REPORTER))]
MAX_UPLOAD = 20 * 1024 * 1024


async def read_upload(file: UploadFile, limit: int = MAX_UPLOAD) -> bytes:
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"文件超过 {limit // (1024 * 1024)} MB 上限", code="file_too_large")
    if not data:
        raise Invalid("上传的文件为空", code="file_empty", details=[{"field": "file", "message": "文件为空"}])
    return data

"""Dependencies shared by planning's routes."""
from typing import Annotated

from fastapi import Depends, UploadFile

from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.files import read_upload as read_capped

TargetOffice = Annotated[Principal, Depends(require_roles(Role.TARGET_OFFICE))]
# People who read target books, contracts and proposals; machine feeds (12345 hotline…) have no business there.
Reader = Annotated[Principal, Depends(require_roles(*(r for r in Role if r != Role.FEED)))]
Signer = Annotated[Principal, Depends(require_roles(Role.LEADER, Role.TARGET_OFFICE))]
Proposer = Annotated[Principal, Depends(require_roles(Role.TARGET_OFFICE, Role.UNIT_REPORTER))]
MAX_UPLOAD = 20 * 1024 * 1024


async def read_upload(file: UploadFile, limit: int = MAX_UPLOAD) -> bytes:
    return await read_capped(file, limit)

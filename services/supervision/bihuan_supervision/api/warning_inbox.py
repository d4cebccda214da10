"""The warning inbox (预警收件箱): a unit sees its own warnings, a leader hers, the supervision office all of its
scope; each inbox knows which it has read, how many open ones are still unread, and marks them read (audited)."""
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict

from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import NotFound
from bihuan_supervision.store.inbox import OVERSIGHT, mark_read, recipient, unread_counts, visible_ids, with_read_state
from bihuan_supervision.store.inbox_tables import WarningRead
from bihuan_supervision.store.warning_tables import Warning

router = APIRouter(prefix="/warnings", tags=["warnings"])

InboxReader = Annotated[Principal, Depends(require_roles(*OVERSIGHT, Role.LEADER, Role.UNIT_REPORTER))]
# a warning id is a PostgreSQL integer: a bigger number is refused as invalid, not sent to the database
WarningId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class WarningOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    level: str
    subject: str
    target_id: str | None
    milestone_id: str | None
    unit: str | None
    leader: str | None
    message: str
    status: str
    raised_at: datetime
    cleared_at: datetime | None
    cleared_reason: str | None
    read: bool = False
    read_at: datetime | None = None


@router.get("")
async def inbox(principal: InboxReader, session: SessionDep, status: Literal["open", "cleared", "all"] = "open",
                unread: bool = False, level: Literal["red", "yellow"] | None = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[WarningOut]:
    """Warnings for the caller's inbox, newest first, each with whether this inbox has read it."""
    query = with_read_state(principal).order_by(Warning.id.desc()).limit(limit)
    if status != "all":
        query = query.where(Warning.status == status)
    if unread:
        query = query.where(WarningRead.read_at.is_(None))
    if level is not None:
        query = query.where(Warning.level == level)
    return [WarningOut.model_validate(w).model_copy(update={"read": read_at is not None, "read_at": read_at})
            for w, read_at in (await session.execute(query)).all()]


@router.get("/unread")
async def unread(principal: InboxReader, session: SessionDep) -> dict:
    """How many open warnings the caller's inbox has not read (the badge of the menu), in all and per level."""
    return {"recipient": recipient(principal), **await unread_counts(session, principal)}


@router.post("/{warning_id}/read")
async def read_one(warning_id: WarningId, principal: InboxReader, session: SessionDep) -> dict:
    """Mark one warning of the caller's inbox read; reading it again changes nothing."""
    async with session.begin():
        if not await visible_ids(session, principal, warning_id=warning_id):
            raise NotFound(f"预警 {warning_id} 不存在", code="warning_not_found")
        newly = await mark_read(session, principal, [warning_id])
        if newly:
            await record_audit(session, principal, "warning.read", "warning", str(warning_id),
                               after={"recipient": recipient(principal)})
    return {"warning_id": warning_id, "read": True, "newly_read": bool(newly)}


@router.post("/read-all")
async def read_all(principal: InboxReader, session: SessionDep) -> dict:
    """Mark every open warning of the caller's inbox read."""
    async with session.begin():
        newly = await mark_read(session, principal, await visible_ids(session, principal, unread_open=True))
        if newly:
            await record_audit(session, principal, "warning.read_all", "warning_inbox", recipient(principal),
                               after={"warning_ids": sorted(newly)})
    return {"newly_read": len(newly)}

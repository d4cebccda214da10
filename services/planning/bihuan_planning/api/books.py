"""Target books (目标书): one per scope and year, read as areas → targets → sub-items."""
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from bihuan_planning.api.deps import Reader, TargetOffice
from bihuan_planning.api.schemas import TransitionIn
from bihuan_planning.domain.lifecycle import TRANSITIONS
from bihuan_planning.store.models import Target, TargetBook, TargetTransition
from bihuan_planning.store.snapshots import published_event
from bihuan_planning.store.targets_repo import book_id, history
from bihuan_shared.audit import record_audit
from bihuan_shared.messaging.outbox import record_events
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import NotFound

router = APIRouter(prefix="/books", tags=["books"])


class BookNode(BaseModel):
    id: str
    code: str
    title: str
    status: str
    version: int
    lead_unit: str
    category: str
    milestones: int
    children: list["BookNode"] = []


class BookArea(BaseModel):
    area: str
    targets: list[BookNode]


class BookTree(BaseModel):
    id: str
    scope: str
    year: int
    title: str
    milestone_period: str
    targets: int
    areas: list[BookArea]


@router.get("")
async def list_books(scope: str, principal: Reader, session: SessionDep) -> list[dict]:
    """The books of a scope, newest year first."""
    principal.require_read_scope(scope)
    rows = await session.scalars(select(TargetBook).where(TargetBook.scope == scope).order_by(TargetBook.year.desc()))
    return [{"id": b.id, "scope": b.scope, "year": b.year, "title": b.title} for b in rows]


@router.get("/{scope}/{year}")
async def get_book(scope: str, year: int, principal: Reader, session: SessionDep) -> BookTree:
    """The whole book as a tree: areas in order of first appearance, targets by code, sub-items under parents."""
    principal.require_read_scope(scope)
    book = await session.get(TargetBook, book_id(scope, year))
    if book is None:
        raise NotFound(f"{scope} {year} 年度目标书不存在", code="book_not_found")
    targets = list(await session.scalars(select(Target).where(Target.book_id == book.id).order_by(Target.code)))
    nodes = {t.id: BookNode(id=t.id, code=t.code, title=t.title, status=t.status, version=t.version,
                            lead_unit=t.lead_unit, category=t.category, milestones=len(t.milestones))
             for t in targets}
    areas: dict[str, list[BookNode]] = {}
    for t in targets:
        if t.parent_id in nodes:
            nodes[t.parent_id].children.append(nodes[t.id])
        else:
            areas.setdefault(t.area or "未分类", []).append(nodes[t.id])
    return BookTree(id=book.id, scope=scope, year=year, title=book.title, milestone_period=book.milestone_period,
                    targets=len(targets), areas=[BookArea(area=a, targets=ts) for a, ts in areas.items()])


@router.post("/{scope}/{year}/{action}")
async def move_book(scope: str, year: int, action: Literal["submit", "approve", "publish"], body: TransitionIn,
                    principal: TargetOffice, session: SessionDep) -> dict:
    """Move every target of the book that can take the step (e.g. all approved → published) in one go."""
    principal.require_scope(scope)
    allowed_from, to = TRANSITIONS[action]
    async with session.begin():
        targets = list(await session.scalars(select(Target).where(
            Target.book_id == book_id(scope, year), Target.status.in_(allowed_from)).with_for_update()))
        envelopes = []
        for t in targets:
            before, t.status = t.status, to
            session.add(TargetTransition(target_id=t.id, action=action, from_status=before, to_status=to,
                                         actor=principal.user, comment=body.comment))
            session.add(history(t, action, principal.user, reason=body.comment,
                                changes=[{"field": "status", "before": before, "after": to}]))
            if action == "publish":
                t.event_seq += 1
                envelopes.append(published_event(t))
        await record_events(session, envelopes)
        await record_audit(session, principal, f"book.{action}", "book", book_id(scope, year),
                           after={"targets": len(targets)}, note=body.comment)
    return {"book_id": book_id(scope, year), "action": action, "targets": len(targets)}

"""Target books (目标书): one per scope and year, read as areas → targets → sub-items."""
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from bihuan_planning.store.models import Target, TargetBook
from bihuan_planning.store.targets_repo import book_id
from bihuan_shared.auth import CurrentPrincipal
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
async def list_books(scope: str, principal: CurrentPrincipal, session: SessionDep) -> list[dict]:
    """The books of a scope, newest year first."""
    principal.require_scope(scope)
    rows = await session.scalars(select(TargetBook).where(TargetBook.scope == scope).order_by(TargetBook.year.desc()))
    return [{"id": b.id, "scope": b.scope, "year": b.year, "title": b.title} for b in rows]


@router.get("/{scope}/{year}")
async def get_book(scope: str, year: int, principal: CurrentPrincipal, session: SessionDep) -> BookTree:
    """The whole book as a tree: areas in order of first appearance, targets by code, sub-items under parents."""
    principal.require_scope(scope)
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

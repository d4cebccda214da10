"""A target book in and out of Excel. The dry run returns every problem (sheet, row, column, reason) and imports
nothing; the real import is all or nothing; the export has the same layout, so it imports back as the same book."""
from fastapi import APIRouter, File, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select

from bihuan_planning.api.deps import Reader, TargetOffice, read_upload
from bihuan_planning.excel.book_reader import Directory, read_book
from bihuan_planning.excel.book_writer import write_book
from bihuan_planning.excel.cells import problems_error
from bihuan_planning.store.book_import import insert_book
from bihuan_planning.store.directory_models import Leader, Unit
from bihuan_planning.store.models import Target, TargetBook
from bihuan_planning.store.targets_repo import book_id
from bihuan_shared.audit import record_audit, record_read
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import NotFound
from bihuan_shared.web.files import attachment
from bihuan_shared.web.sheet_limits import parse_off_loop

router = APIRouter(prefix="/books", tags=["books"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BookImportResult(BaseModel):
    dry_run: bool
    ok: bool
    period: str
    targets: int
    milestones: int
    problems: list[dict]


@router.post("/{scope}/{year}/import")
async def import_book(scope: str, principal: TargetOffice, session: SessionDep,
                      year: int = Path(ge=2000, le=2100), file: UploadFile = File(...),
                      dry_run: bool = Query(default=False)) -> BookImportResult:
    """Import the year's targets (as drafts) from a workbook in the common layout."""
    principal.require_scope(scope)
    data = await read_upload(file)
    async with session.begin():
        units, leaders = await _names(session, scope)
        taken = set(await session.scalars(select(Target.code).where(Target.book_id == book_id(scope, year))))
        book = await parse_off_loop(read_book, data, year, Directory.of(units, leaders), taken)
        result = BookImportResult(dry_run=dry_run, ok=not book.problems, period=book.period,
                                  targets=len(book.targets), milestones=sum(len(t["milestones"]) for t in book.targets),
                                  problems=[p.as_dict() for p in book.problems])
        if dry_run:
            return result
        if book.problems:
            raise problems_error(book.problems, "目标书")
        await insert_book(session, scope, year, book.period, book.targets, principal.user)
        await record_audit(session, principal, "book.imported", "book", book_id(scope, year),
                           after={"file": file.filename, "targets": result.targets, "milestones": result.milestones})
    return result


@router.get("/{scope}/{year}/export.xlsx")
async def export_book(scope: str, year: int, principal: Reader, session: SessionDep) -> Response:
    """The book in the import layout (quarter or month columns as it was imported)."""
    principal.require_read_scope(scope)
    book = await session.get(TargetBook, book_id(scope, year))
    if book is None:
        raise NotFound(f"{scope} {year} 年度目标书不存在", code="book_not_found")
    targets = list(await session.scalars(select(Target).where(Target.book_id == book.id, Target.status != "cancelled")))
    units, leaders = await _names(session, scope)
    data = write_book(book.title, year, book.milestone_period, targets, units, leaders)
    await record_read(session, principal, "book.exported", "book", book.id)
    return Response(data, media_type=XLSX, headers=attachment(f"book-{book.id}.xlsx"))


async def _names(session, scope: str) -> tuple[dict[str, str], dict[str, str]]:
    units = {u.code: u.name for u in await session.scalars(select(Unit).where(Unit.scope == scope, Unit.active.is_(True)))}
    leaders = {x.code: x.name for x in await session.scalars(select(Leader).where(Leader.scope == scope))}
    return units, leaders

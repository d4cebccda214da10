"""The directory in and out of Excel: a dry run lists every problem; the real import is all or nothing."""
from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from bihuan_planning.api.deps import TargetOffice, read_upload
from bihuan_planning.api.directory import check_code
from bihuan_planning.domain.directory_records import DirectoryImportResult
from bihuan_planning.domain.directory import parent_cycle
from bihuan_planning.excel.cells import problems_error
from bihuan_planning.excel.directory_sheet import LEADER_SHEET, UNIT_SHEET, DirectoryRows, read_directory, write_directory
from bihuan_planning.store.directory_models import Leader, Unit
from bihuan_planning.store.directory_repo import require_scope, save_leader, save_unit, units_of
from bihuan_shared.audit import record_audit, record_read
from bihuan_shared.auth import CurrentPrincipal
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import DomainError
from bihuan_shared.web.files import attachment
from bihuan_shared.web.sheet_limits import parse_off_loop

router = APIRouter(tags=["directory"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/directory/{scope}/import")
async def import_directory(scope: str, principal: TargetOffice, session: SessionDep, file: UploadFile = File(...),
                           dry_run: bool = Query(default=False)) -> DirectoryImportResult:
    """Import units (sheet 单位) and leaders (sheet 分管领导); unchanged rows emit nothing."""
    principal.require_scope(scope)
    rows = await parse_off_loop(read_directory, await read_upload(file))
    async with session.begin():
        await require_scope(session, scope)
        existing = await units_of(session, scope)
        _resolve_leader_units(rows, existing)
        _check_units(rows, existing)
        result = DirectoryImportResult(dry_run=dry_run, ok=not rows.problems, units=len(rows.units),
                                       leaders=len(rows.leaders), problems=[p.as_dict() for p in rows.problems])
        if dry_run:
            return result
        if rows.problems:
            raise problems_error(rows.problems, "单位目录")
        # Parents first, so a unit's parent is registered before the unit itself.
        for code in _parents_first(rows):
            _, outcome = await save_unit(session, scope, code, rows.units[code].model_dump())
            _count(result, outcome)
        for code, leader in rows.leaders.items():
            _, outcome = await save_leader(session, scope, code, leader.model_dump())
            _count(result, outcome)
        await record_audit(session, principal, "directory.imported", "scope", scope,
                           after={"file": file.filename, "registered": result.registered, "updated": result.updated})
    return result


@router.get("/directory/{scope}/export.xlsx")
async def export_directory(scope: str, principal: CurrentPrincipal, session: SessionDep) -> Response:
    """The directory as a workbook in the import layout."""
    principal.require_read_scope(scope)
    units = list(await session.scalars(select(Unit).where(Unit.scope == scope).order_by(Unit.code)))
    leaders = list(await session.scalars(select(Leader).where(Leader.scope == scope).order_by(Leader.code)))
    await record_read(session, principal, "directory.exported", "scope", scope)
    return Response(write_directory(units, leaders), media_type=XLSX,
                    headers=attachment(f"directory-{scope}.xlsx"))


def _count(result: DirectoryImportResult, outcome: str | None) -> None:
    if outcome == "registered":
        result.registered += 1
    elif outcome == "updated":
        result.updated += 1


def _resolve_leader_units(rows: DirectoryRows, existing: dict[str, Unit]) -> None:
    """A leader's units may be written by code or by name; names become codes."""
    by_name = {u.name: c for c, u in existing.items()} | {u.name: c for c, u in rows.units.items()}
    known = set(existing) | set(rows.units)
    for code, leader in rows.leaders.items():
        resolved = []
        for ref in leader.units:
            unit = ref if ref in known else by_name.get(ref)
            if unit is None:
                rows.problem(LEADER_SHEET, code, "分管单位", f"领导 {code} 的分管单位「{ref}」不在单位目录中")
            else:
                resolved.append(unit)
        leader.units = resolved


def _check_units(rows: DirectoryRows, existing: dict[str, Unit]) -> None:
    parents = {c: u.parent for c, u in existing.items()} | {c: u.parent for c, u in rows.units.items()}
    for code, unit in rows.units.items():
        try:
            check_code(code, "单位编码")
        except DomainError as exc:
            rows.problem(UNIT_SHEET, code, "单位编码", f"{exc.message}：{code}")
        if unit.parent and unit.parent not in parents:
            rows.problem(UNIT_SHEET, code, "上级单位", f"单位 {code} 的上级单位 {unit.parent} 未登记")
        elif parent_cycle(code, unit.parent, parents):
            rows.problem(UNIT_SHEET, code, "上级单位", f"单位 {code} 的上级单位形成循环")


def _parents_first(rows: DirectoryRows) -> list[str]:
    ordered: list[str] = []

    def visit(code: str) -> None:
        if code in ordered or code not in rows.units:
            return
        visit(rows.units[code].parent or "")
        ordered.append(code)

    for code in rows.units:
        visit(code)
    return ordered

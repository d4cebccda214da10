"""Evaluations (评价): leaders', management departments', third-party and lead units' scores of units, entered as a
JSON batch or imported from an Excel sheet. A later entry by the same evaluator replaces the earlier one."""
import io
from typing import Literal

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.dialects.postgresql import insert

from bihuan_assessment.api.batch import split_batch
from bihuan_assessment.api.deps import Evaluator, open_assessment
from bihuan_assessment.store.models import Evaluation
from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Principal, Role
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Invalid, TooLarge

router = APIRouter(prefix="/evaluations", tags=["evaluations"])

KINDS = {"领导评价": "leader", "职能部门评价": "department", "第三方评估": "third_party", "牵头单位评价": "cooperation"}
# Who may enter which kind: third parties only their own surveys, leaders only leader evaluations.
ALLOWED = {"leader": (Role.LEADER, Role.ASSESSOR), "department": (Role.ASSESSOR, Role.TARGET_OFFICE),
           "third_party": (Role.THIRD_PARTY, Role.ASSESSOR), "cooperation": (Role.ASSESSOR, Role.TARGET_OFFICE)}
MAX_ROWS = 5000


class EvaluationRow(BaseModel):
    unit: str = Field(min_length=1, max_length=64)
    kind: Literal["leader", "department", "third_party", "cooperation"]
    evaluator: str | None = Field(None, max_length=200)
    score: float = Field(ge=0, le=100)
    comment: str = ""


class EvaluationBatch(BaseModel):
    scope: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    items: list[dict] = Field(max_length=MAX_ROWS)


@router.post("")
async def enter_evaluations(body: EvaluationBatch, principal: Evaluator, session: SessionDep) -> dict:
    """Enter a batch of evaluations; good rows are kept, bad rows reported by index and field."""
    return await _store(session, principal, body.scope, body.year, body.items, f"api:{principal.user}")


@router.post("/import")
async def import_evaluations(principal: Evaluator, session: SessionDep, scope: str = Form(...), year: int = Form(...),
                             file: UploadFile = File(...)) -> dict:
    """Import an Excel sheet: 单位代码 | 评价类型 | 评价人 | 分数 | 说明 (first row is the header)."""
    data = await file.read()
    if len(data) > 5_000_000:
        raise TooLarge("文件过大（上限 5 MB）", code="file_too_large")
    rows = _read_sheet(data)
    return await _store(session, principal, scope, year, rows, f"excel:{principal.user}", offset=2)


def _read_sheet(data: bytes) -> list[dict]:
    from openpyxl import load_workbook
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    except Exception:
        raise Invalid("无法读取 Excel 文件（需要 .xlsx）", code="bad_excel") from None
    # Pad short rows: a sheet with fewer than five columns is reported row by row, not as a crash.
    rows = [tuple(r) + (None,) * 5 for r in list(sheet.iter_rows(min_row=2, values_only=True))[:MAX_ROWS]]
    return [{"unit": str(r[0] or "").strip(), "kind": KINDS.get(str(r[1] or "").strip(), str(r[1] or "").strip()),
             "evaluator": (str(r[2]).strip() if r[2] else None), "score": r[3], "comment": str(r[4] or "")}
            for r in rows if r and any(v is not None for v in r[:5])]


async def _store(session, principal: Principal, scope: str, year: int, records: list, origin: str,
                 offset: int = 0) -> dict:
    principal.require_scope(scope)
    good, errors = split_batch(records, EvaluationRow, offset)
    kept = []
    for i, row in good:
        if not principal.has(*ALLOWED[row.kind]):
            errors.append({"index": i, "field": "kind", "message": f"当前角色无权录入此类评价: {row.kind}"})
        else:
            kept.append(row)
    async with session.begin():
        await open_assessment(session, scope, year)
        for row in kept:
            values = dict(scope=scope, year=year, unit=row.unit, kind=row.kind, subject="",
                          evaluator=row.evaluator or principal.user, score=row.score, comment=row.comment,
                          origin=origin)
            stmt = insert(Evaluation).values(**values)
            await session.execute(stmt.on_conflict_do_update(
                index_elements=["scope", "year", "unit", "kind", "evaluator", "subject"],
                set_={k: values[k] for k in ("score", "comment", "origin")}))
        if kept:
            await record_audit(session, principal, "evaluations.entered", "evaluations", f"{scope}/{year}",
                               after=[r.model_dump() for r in kept])
    return {"accepted": len(kept), "rejected": len({e["index"] for e in errors}), "errors": errors}

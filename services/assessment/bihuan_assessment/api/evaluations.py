"""Evaluations (评价): leaders', management departments', third-party and lead units' scores of units, entered as a
JSON batch or imported from an Excel sheet. A later entry by the same evaluator replaces the earlier one (the audit
keeps the score it replaced); who that evaluator is comes from the caller's token, see evaluation_checks."""
from typing import Literal

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert

from bihuan_assessment.api.batch import split_batch
from bihuan_assessment.api.deps import Evaluator, open_assessment
from bihuan_assessment.api.evaluation_checks import evaluator_of, own_evaluator, scorable_units, year_rules
from bihuan_assessment.api.evaluation_sheet import read_evaluation_sheet
from bihuan_assessment.api.system_lead import require_own_system
from bihuan_assessment.store.models import Evaluation
from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Principal, Role
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.files import read_upload
from bihuan_shared.web.sheet_limits import parse_off_loop

router = APIRouter(prefix="/evaluations", tags=["evaluations"])

# Who may enter which kind: third parties only their own surveys, leaders only leader evaluations, a system's lead
# unit (its reporter or leader) only system ratings of its system's units (api/system_lead.py).
ALLOWED = {"leader": (Role.LEADER, Role.ASSESSOR), "department": (Role.ASSESSOR, Role.TARGET_OFFICE),
           "third_party": (Role.THIRD_PARTY, Role.ASSESSOR), "cooperation": (Role.ASSESSOR, Role.TARGET_OFFICE),
           "system": (Role.UNIT_REPORTER, Role.LEADER, Role.ASSESSOR, Role.TARGET_OFFICE)}
MAX_ROWS = 5000
MAX_FILE_BYTES = 5_000_000


class EvaluationRow(BaseModel):
    unit: str = Field(min_length=1, max_length=64)
    kind: Literal["leader", "department", "third_party", "cooperation", "system"]
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
    """Import an Excel sheet with the columns 单位代码, 评价类型, 分数 (评价人, 说明 optional) under a header row.
    Errors name the sheet, row (also as index) and column."""
    # Read at most one byte past the limit: a 1 GB upload must not be held in memory to learn it is too large.
    sheet = await parse_off_loop(read_evaluation_sheet, await read_upload(file, MAX_FILE_BYTES))
    result = await _store(session, principal, scope, year, [r for _, r in sheet.rows], f"excel:{principal.user}",
                          index=[n for n, _ in sheet.rows])
    result["errors"] = sorted(sheet.problems + [sheet.locate(e) for e in result["errors"]], key=lambda e: e["row"])
    result["rejected"] = len({e["row"] for e in result["errors"]})
    return result


async def _store(session, principal: Principal, scope: str, year: int, records: list, origin: str,
                 index: list[int] | None = None) -> dict:
    """index: what each record is called in errors (a sheet's row numbers); by default its place in the batch."""
    principal.require_scope(scope)
    good, errors = split_batch(records, EvaluationRow)
    if index is not None:
        good = [(index[i], row) for i, row in good]
        errors = [{**e, "index": index[e["index"]]} for e in errors]
    permitted = []
    for i, row in good:
        evaluator = evaluator_of(principal, row.evaluator, row.kind)
        if not principal.has(*ALLOWED[row.kind]):
            errors.append({"index": i, "field": "kind", "message": f"当前角色无权录入此类评价: {row.kind}"})
        elif evaluator is None:
            errors.append({"index": i, "field": "evaluator", "code": "evaluator_forbidden",
                           "message": f"只能以本人（{own_evaluator(principal, row.kind)}）名义录入评价，不能录入「{row.evaluator}」的评价"})
        else:
            permitted.append((i, row.model_copy(update={"evaluator": evaluator})))
    async with session.begin():
        assessment = await open_assessment(session, scope, year)
        rules = await year_rules(session, scope, year, assessment)
        require_own_system(principal, rules, [(i, row) for i, row in permitted if row.kind == "system"])
        units = await scorable_units(session, scope, rules)
        kept = []
        for i, row in permitted:
            if row.unit in units:
                kept.append(row)
            else:
                errors.append({"index": i, "field": "unit", "code": "unit_unknown",
                               "message": f"单位 {row.unit} 不在单位名录或本年度考核办法的考核组中"})
        before = await _current(session, scope, year, kept)
        for row in kept:
            values = dict(scope=scope, year=year, unit=row.unit, kind=row.kind, subject="",
                          evaluator=row.evaluator, score=row.score, comment=row.comment, origin=origin)
            stmt = insert(Evaluation).values(**values)
            await session.execute(stmt.on_conflict_do_update(
                index_elements=["scope", "year", "unit", "kind", "evaluator", "subject"],
                set_={k: values[k] for k in ("score", "comment", "origin")}))
        if kept:
            # before: the scores these rows replace, so an overwrite can be seen and undone
            await record_audit(session, principal, "evaluations.entered", "evaluations", f"{scope}/{year}",
                               before=before or None, after=[r.model_dump() for r in kept])
    return {"accepted": len(kept), "rejected": len({e["index"] for e in errors}), "errors": errors}


async def _current(session, scope: str, year: int, rows: list[EvaluationRow]) -> list[dict]:
    """The stored evaluations the rows will overwrite (same unit, kind and evaluator)."""
    keys = {(r.unit, r.kind, r.evaluator) for r in rows}
    if not keys:
        return []
    found = await session.execute(
        select(Evaluation.unit, Evaluation.kind, Evaluation.evaluator, Evaluation.score, Evaluation.comment,
               Evaluation.origin)
        .where(Evaluation.scope == scope, Evaluation.year == year, Evaluation.subject == "",
               tuple_(Evaluation.unit, Evaluation.kind, Evaluation.evaluator).in_(keys))
        .order_by(Evaluation.unit, Evaluation.kind, Evaluation.evaluator))
    return [dict(r._mapping) for r in found]

"""Assessment schemes (考核办法): drafted, versioned, then opened for the year, after which they never change."""
from datetime import UTC, date, datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select, text

from bihuan_assessment.api.deps import Assessor, Reader, get_scheme
from bihuan_assessment.api.scheme_checks import check_scheme_units
from bihuan_assessment.domain.rules import SchemeRules
from bihuan_assessment.store.models import Assessment, Scheme
from bihuan_shared.audit import record_audit
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict

router = APIRouter(prefix="/schemes", tags=["schemes"])


class SchemeIn(BaseModel):
    scope: str = Field(min_length=1, max_length=64)
    year: int = Field(ge=2000, le=2100)
    name: str = Field(min_length=1, max_length=200)
    rules: SchemeRules


class SchemeEdit(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    rules: SchemeRules


class OpenIn(BaseModel):
    as_of: date | None = None  # the date milestones are judged at; defaults to the year's last day


def _out(s: Scheme, assessment_id: int | None = None) -> dict:
    return {"id": s.id, "scope": s.scope, "year": s.year, "version": s.version, "name": s.name, "status": s.status,
            "opened_at": s.opened_at.isoformat() if s.opened_at else None, "rules": s.rules, "assessment_id": assessment_id}


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_scheme(body: SchemeIn, principal: Assessor, session: SessionDep) -> dict:
    """Draft a scheme: the next version for its scope and year."""
    principal.require_scope(body.scope)
    async with session.begin():
        await check_scheme_units(session, body.scope, body.rules)
        # Serialise drafting per scope and year so two drafts never take the same version number.
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"scheme:{body.scope}:{body.year}"})
        version = (await session.scalar(select(func.max(Scheme.version)).where(
            Scheme.scope == body.scope, Scheme.year == body.year))) or 0
        scheme = Scheme(scope=body.scope, year=body.year, version=version + 1, name=body.name, status="draft",
                        rules=body.rules.model_dump(mode="json"), created_by=principal.user)
        session.add(scheme)
        await session.flush()
        await record_audit(session, principal, "scheme.drafted", "scheme", str(scheme.id), after=_out(scheme))
    return _out(scheme)


@router.get("")
async def list_schemes(scope: str, principal: Reader, session: SessionDep, year: int | None = None) -> list[dict]:
    """Schemes of a scope (all versions), newest first, with the assessment an opened one started."""
    principal.require_read_scope(scope)
    q = select(Scheme, Assessment.id).outerjoin(Assessment, Assessment.scheme_id == Scheme.id).where(
        Scheme.scope == scope)
    if year is not None:
        q = q.where(Scheme.year == year)
    rows = (await session.execute(q.order_by(Scheme.year.desc(), Scheme.version.desc()))).all()
    return [_out(s, a) for s, a in rows]


@router.get("/{scheme_id}")
async def read_scheme(scheme_id: int, principal: Reader, session: SessionDep) -> dict:
    """A scheme with its rules: every unit can read the rules it is assessed by."""
    return _out(await get_scheme(session, scheme_id, principal))


@router.put("/{scheme_id}")
async def edit_scheme(scheme_id: int, body: SchemeEdit, principal: Assessor, session: SessionDep) -> dict:
    """Change a draft. An opened scheme is frozen: fix it in next year's scheme (or a new draft for what-if)."""
    async with session.begin():
        scheme = await get_scheme(session, scheme_id, principal, lock=True)
        if scheme.status != "draft":
            raise Conflict("考核办法已启用，考核期内不得修改（请在下一年度的考核办法中调整）", code="scheme_frozen")
        await check_scheme_units(session, scheme.scope, body.rules)
        before = _out(scheme)
        scheme.name, scheme.rules = body.name, body.rules.model_dump(mode="json")
        await record_audit(session, principal, "scheme.edited", "scheme", str(scheme.id), before=before,
                           after=_out(scheme))
    return _out(scheme)


@router.post("/{scheme_id}/open")
async def open_scheme(scheme_id: int, body: OpenIn, principal: Assessor, session: SessionDep) -> dict:
    """Open the assessment period with this scheme: it is frozen from now on, and the year's assessment begins."""
    async with session.begin():
        scheme = await get_scheme(session, scheme_id, principal, lock=True)
        if scheme.status != "draft":
            raise Conflict("该考核办法已启用", code="scheme_already_open")
        existing = await session.scalar(select(Assessment).where(Assessment.scope == scheme.scope,
                                                                 Assessment.year == scheme.year))
        if existing is not None:
            raise Conflict(f"{scheme.scope} {scheme.year}年的考核期已开始，考核办法不得更换", code="period_already_open")
        scheme.status, scheme.opened_at = "open", datetime.now(UTC)
        assessment = Assessment(scope=scheme.scope, year=scheme.year, scheme_id=scheme.id, status="open",
                                as_of=body.as_of or date(scheme.year, 12, 31), last_run=0)
        session.add(assessment)
        await session.flush()
        await record_audit(session, principal, "scheme.opened", "scheme", str(scheme.id), after=_out(scheme))
    return _out(scheme, assessment.id)

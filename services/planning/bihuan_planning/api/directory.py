"""The directory: scopes, units and leaders in charge. The target office writes; everyone in the scope reads."""
import re

from fastapi import APIRouter, Request
from sqlalchemy import or_, select

from bihuan_planning.api.deps import Reader, TargetOffice
from bihuan_planning.domain.directory_records import (LeaderIn, LeaderInCharge, LeaderOut, ScopeIn, ScopeOut, UnitIn,
                                                      UnitOut)
from bihuan_planning.domain.directory import parent_cycle
from bihuan_planning.domain.scopes import Refusal, ScopeFacts, registration_refusal
from bihuan_planning.store.directory_models import Leader, Scope, Unit
from bihuan_planning.store.models import Target
from bihuan_planning.store.directory_repo import (leaders_in_charge, leaders_of, require_scope, save_leader,
                                                  save_scope, save_unit, units_of)
from bihuan_shared.audit import record_audit
from bihuan_shared.auth import CurrentPrincipal
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, Forbidden, Invalid, NotFound

router = APIRouter(tags=["directory"])


@router.put("/scopes/{code}")
async def put_scope(code: str, body: ScopeIn, principal: TargetOffice, session: SessionDep,
                    request: Request) -> ScopeOut:
    """Register or rename a scope: a city office its city and the districts under it, a district office its own
    district standing alone. Kind and city are fixed at registration. Emits planning.scope.registered / .updated."""
    check_code(code, "code")
    async with session.begin():
        scope = await session.get(Scope, code, with_for_update=True)
        parent = await session.get(Scope, body.parent) if body.parent else None
        refusal = registration_refusal(principal.scope, code, body.kind, body.parent, _facts(scope), _facts(parent))
        if refusal is not None:
            raise _refused(refusal)
        before = ScopeOut.model_validate(scope).model_dump() if scope else None
        scope, outcome = await save_scope(session, scope, code, body.name, body.kind, body.parent)
        if outcome is not None:
            await record_audit(session, principal, f"scope.{outcome}", "scope", code, before=before,
                               after=body.model_dump())
    if body.parent:
        request.app.state.scope_tree.forget(body.parent)
    return ScopeOut(code=code, **body.model_dump())


@router.get("/scopes")
async def list_scopes(principal: CurrentPrincipal, session: SessionDep) -> list[ScopeOut]:
    """The caller's own scope and, for a city, its districts."""
    rows = await session.scalars(select(Scope).where(or_(Scope.code == principal.scope,
                                                         Scope.parent == principal.scope)).order_by(Scope.code))
    return [ScopeOut.model_validate(s) for s in rows if principal.reads(s.code)]


def _facts(scope: Scope | None) -> ScopeFacts | None:
    return ScopeFacts(scope.code, scope.kind, scope.parent) if scope is not None else None


def _refused(refusal: Refusal) -> Exception:
    kind = {"forbidden": Forbidden, "invalid": Invalid, "conflict": Conflict}[refusal.status]
    return kind(refusal.message, code=refusal.code, details=[{"field": refusal.field, "message": refusal.message}])


@router.put("/directory/{scope}/units/{code}")
async def put_unit(scope: str, code: str, body: UnitIn, principal: TargetOffice, session: SessionDep) -> UnitOut:
    """Register a unit or change it; emits planning.unit.registered / planning.unit.updated."""
    principal.require_scope(scope)
    check_code(code, "code")
    async with session.begin():
        await require_scope(session, scope)
        units = await units_of(session, scope)
        check_parent(code, body.parent, {c: u.parent for c, u in units.items()}, set(units))
        leaders = await leaders_of(session, scope)
        unit, outcome = await save_unit(session, scope, code, body.model_dump(), leaders)
        if outcome:
            await record_audit(session, principal, f"unit.{outcome}", "unit", f"{scope}:{code}",
                               after=body.model_dump())
        return _unit_out(unit, leaders)


@router.get("/directory/{scope}/units")
async def list_units(scope: str, principal: CurrentPrincipal, session: SessionDep, kind: str | None = None,
                     assessment_group: str | None = None) -> list[UnitOut]:
    """Units of a scope, optionally of one kind or assessment group."""
    principal.require_read_scope(scope)
    where = [Unit.scope == scope]
    if kind:
        where.append(Unit.kind == kind)
    if assessment_group:
        where.append(Unit.assessment_group == assessment_group)
    leaders = await leaders_of(session, scope)
    return [_unit_out(u, leaders) for u in await session.scalars(select(Unit).where(*where).order_by(Unit.code))]


@router.get("/directory/{scope}/units/{code}")
async def get_unit(scope: str, code: str, principal: CurrentPrincipal, session: SessionDep) -> UnitOut:
    """One unit with its leaders in charge."""
    principal.require_read_scope(scope)
    unit = await session.scalar(select(Unit).where(Unit.scope == scope, Unit.code == code))
    if unit is None:
        raise NotFound(f"单位 {code} 不存在", code="unit_not_found")
    return _unit_out(unit, await leaders_of(session, scope))


@router.put("/directory/{scope}/leaders/{code}")
async def put_leader(scope: str, code: str, body: LeaderIn, principal: TargetOffice,
                     session: SessionDep) -> LeaderOut:
    """Register a leader in charge or change the units in charge; emits planning.leader.* and unit.updated."""
    principal.require_scope(scope)
    check_code(code, "code")
    async with session.begin():
        await require_scope(session, scope)
        units = await units_of(session, scope)
        unknown = [u for u in body.units if u not in units]
        if unknown:
            raise Invalid("分管单位不在单位目录中", code="unknown_unit",
                          details=[{"field": "units", "message": f"未登记的单位：{'、'.join(unknown)}"}])
        leader, outcome = await save_leader(session, scope, code, body.model_dump())
        if outcome:
            await record_audit(session, principal, f"leader.{outcome}", "leader", f"{scope}:{code}",
                               after=body.model_dump())
        return LeaderOut(scope=scope, code=code, **body.model_dump())


@router.get("/directory/{scope}/leaders")
async def list_leaders(scope: str, principal: CurrentPrincipal, session: SessionDep) -> list[LeaderOut]:
    """Leaders in charge of a scope and their units."""
    principal.require_read_scope(scope)
    rows = await session.scalars(select(Leader).where(Leader.scope == scope).order_by(Leader.code))
    return [LeaderOut.model_validate(x) for x in rows]


@router.get("/directory/{scope}/leaders/{code}")
async def get_leader(scope: str, code: str, principal: Reader, session: SessionDep) -> LeaderInCharge:
    """A leader with the units and the targets in charge (targets by their 分管领导 field)."""
    principal.require_read_scope(scope)
    leader = await session.scalar(select(Leader).where(Leader.scope == scope, Leader.code == code))
    if leader is None:
        raise NotFound(f"分管领导 {code} 不存在", code="leader_not_found")
    targets = await session.scalars(select(Target).where(Target.scope == scope, Target.leader == code)
                                    .order_by(Target.year.desc(), Target.code))
    return LeaderInCharge(**LeaderOut.model_validate(leader).model_dump(), targets=[
        {"id": t.id, "year": t.year, "code": t.code, "title": t.title, "status": t.status} for t in targets])


def _unit_out(unit: Unit, leaders: dict[str, Leader]) -> UnitOut:
    return UnitOut(scope=unit.scope, code=unit.code, name=unit.name, kind=unit.kind, parent=unit.parent,
                   assessment_group=unit.assessment_group, active=unit.active,
                   leaders=leaders_in_charge(unit.code, leaders))


def check_code(code: str, field: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", code):
        raise Invalid("编码只能包含字母、数字、下划线、点和连字符（最长 64 位）", code="bad_code",
                      details=[{"field": field, "message": f"非法编码「{code}」"}])


def check_parent(code: str, parent: str | None, parents: dict[str, str | None], known: set[str]) -> None:
    if parent is None:
        return
    if parent not in known:
        raise Invalid("上级单位不在单位目录中", code="unknown_parent",
                      details=[{"field": "parent", "message": f"未登记的单位：{parent}"}])
    if parent_cycle(code, parent, parents):
        raise Invalid("上级单位形成循环", code="parent_cycle",
                      details=[{"field": "parent", "message": f"{code} 不能以 {parent} 为上级"}])

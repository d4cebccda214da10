"""Responsibility contracts (责任书): a unit's published targets of the year, signed with its leader in charge."""
from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import any_, or_, select

from bihuan_planning.api.deps import Reader, Signer, TargetOffice
from bihuan_planning.domain.lifecycle import TargetStatus
from bihuan_planning.store.directory_models import Unit
from bihuan_planning.store.directory_repo import leaders_in_charge, leaders_of
from bihuan_planning.store.models import Contract, Target
from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Role
from bihuan_shared.contracts.planning import ContractSigned, ContractTarget
from bihuan_shared.events import new_event
from bihuan_shared.messaging.outbox import record_event
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, Forbidden, Invalid, NotFound

router = APIRouter(prefix="/contracts", tags=["contracts"])


class ContractIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: str = Field(min_length=1, max_length=64)
    year: int = Field(ge=2000, le=2100)
    unit: str = Field(min_length=1, max_length=64)
    leader: str | None = Field(default=None, max_length=64, description="default: the unit's leader in charge")


class SignIn(BaseModel):
    note: str | None = Field(default=None, max_length=2000)


class ContractOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    scope: str
    year: int
    unit_code: str
    leader_code: str | None
    targets: list[ContractTarget]
    status: str
    created_by: str
    signed_by: str | None
    signed_at: datetime | None
    sign_note: str | None


@router.post("", status_code=201)
async def draw_up(body: ContractIn, principal: TargetOffice, session: SessionDep) -> ContractOut:
    """Draw up (or refresh, until signed) the unit's contract listing its published targets as lead or
    responsible unit."""
    principal.require_scope(body.scope)
    async with session.begin():
        unit = await session.scalar(select(Unit).where(Unit.scope == body.scope, Unit.code == body.unit))
        if unit is None:
            raise NotFound(f"单位 {body.unit} 不在单位目录中", code="unit_not_found")
        leaders = await leaders_of(session, body.scope)
        if body.leader and body.leader not in leaders:
            raise Invalid(f"分管领导 {body.leader} 不在辖区目录中", code="unknown_leader",
                          details=[{"field": "leader", "message": "未登记的分管领导"}])
        leader = body.leader or next(iter(leaders_in_charge(unit.code, leaders)), None)
        targets = await _targets_of(session, body)
        if not targets:
            raise Invalid(f"{unit.name} 在 {body.year} 年度没有已发布的目标，无法生成责任书", code="no_targets",
                          details=[{"field": "unit", "message": "没有已发布的目标"}])
        contract = await session.scalar(select(Contract).where(
            Contract.scope == body.scope, Contract.year == body.year, Contract.unit_code == body.unit)
            .with_for_update())
        if contract is not None and contract.status == "signed":
            raise Conflict("责任书已签订，不能重新生成", code="contract_signed")
        if contract is None:
            contract = Contract(scope=body.scope, year=body.year, unit_code=body.unit, created_by=principal.user,
                                status="drafted", event_seq=0)
            session.add(contract)
        contract.leader_code, contract.targets = leader, [t.model_dump() for t in targets]
        await session.flush()
        await record_audit(session, principal, "contract.drawn_up", "contract", contract.id,
                           after={"unit": body.unit, "leader": leader, "targets": len(targets)})
        return ContractOut.model_validate(contract)


@router.post("/{contract_id}/sign")
async def sign(contract_id: str, body: SignIn, principal: Signer, session: SessionDep) -> ContractOut:
    """Record the signing (the leader in charge, or the target office recording a paper signing)."""
    async with session.begin():
        contract = await session.get(Contract, contract_id, with_for_update=True)
        if contract is None:
            raise NotFound(f"责任书 {contract_id} 不存在", code="contract_not_found")
        principal.require_scope(contract.scope)
        if contract.status == "signed":
            raise Conflict("责任书已签订", code="contract_signed")
        if not principal.has(Role.TARGET_OFFICE) and principal.user != contract.leader_code:
            raise Forbidden("只有该单位的分管领导可以签订责任书", code="leader_forbidden")
        contract.status, contract.signed_by, contract.sign_note = "signed", principal.user, body.note
        contract.signed_at = datetime.now(UTC)
        contract.event_seq += 1
        payload = ContractSigned(contract_id=contract.id, year=contract.year, unit_code=contract.unit_code,
                                 leader_code=contract.leader_code, targets=contract.targets,
                                 signed_by=principal.user, signed_at=contract.signed_at)
        await record_event(session, new_event(payload, scope=contract.scope, aggregate_id=f"contract:{contract.id}",
                                              sequence=contract.event_seq))
        await record_audit(session, principal, "contract.signed", "contract", contract.id, note=body.note)
        return ContractOut.model_validate(contract)


@router.get("")
async def list_contracts(scope: str, principal: Reader, session: SessionDep, year: int | None = None,
                         unit: str | None = None) -> list[ContractOut]:
    """Contracts of a scope, by unit code."""
    principal.require_read_scope(scope)
    where = [Contract.scope == scope]
    if year is not None:
        where.append(Contract.year == year)
    if unit:
        where.append(Contract.unit_code == unit)
    rows = await session.scalars(select(Contract).where(*where).order_by(Contract.year, Contract.unit_code))
    return [ContractOut.model_validate(c) for c in rows]


async def _targets_of(session, body: ContractIn) -> list[ContractTarget]:
    rows = await session.scalars(select(Target).where(
        Target.scope == body.scope, Target.year == body.year, Target.status == TargetStatus.PUBLISHED,
        or_(Target.lead_unit == body.unit, body.unit == any_(Target.responsible_units))).order_by(Target.code))
    return [ContractTarget(target_id=t.id, code=t.code, title=t.title, version=t.version) for t in rows]

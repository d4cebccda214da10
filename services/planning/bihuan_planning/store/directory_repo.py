"""Writing the directory: every change of a unit or leader stages its event in the same transaction."""
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_planning.store.directory_models import Leader, Scope, Unit
from bihuan_shared.contracts.planning import (LeaderRegistered, LeaderUpdated, ScopeRegistered, ScopeUpdated,
                                              UnitRegistered, UnitSnapshot, UnitUpdated)
from bihuan_shared.events import new_event
from bihuan_shared.messaging.outbox import record_event
from bihuan_shared.web.errors import NotFound

UNIT_FIELDS = ("name", "kind", "parent", "assessment_group", "active")
LEADER_FIELDS = ("name", "title", "units", "active")


def unit_aggregate(scope: str, code: str) -> str:
    return f"unit:{scope}:{code}"


async def require_scope(session: AsyncSession, scope: str) -> Scope:
    found = await session.get(Scope, scope)
    if found is None:
        raise NotFound(f"辖区 {scope} 尚未登记：请目标办先在「辖区」页登记本辖区（或由所属市登记），再导入单位目录",
                       code="scope_not_found", details=[{"field": "scope", "message": f"PUT /api/v1/scopes/{scope}"}])
    return found


async def districts_of(session: AsyncSession, city: str) -> frozenset[str]:
    return frozenset(await session.scalars(select(Scope.code).where(Scope.parent == city)))


async def save_scope(session: AsyncSession, scope: Scope | None, code: str, name: str, kind: str,
                     parent: str | None) -> tuple[Scope, str | None]:
    """Insert or rename a scope, staging its event; returns it and "registered", "updated" or None."""
    if scope is None:
        scope = Scope(code=code, name=name, kind=kind, parent=parent, event_seq=1)
        session.add(scope)
        outcome, contract = "registered", ScopeRegistered
    elif scope.name != name:
        scope.name, scope.event_seq = name, scope.event_seq + 1
        outcome, contract = "updated", ScopeUpdated
    else:
        return scope, None
    await record_event(session, new_event(contract(code=code, name=name, kind=kind, parent=parent),
                                          scope=parent or code, aggregate_id=f"scope:{code}",
                                          sequence=scope.event_seq))
    return scope, outcome


async def has_units(session: AsyncSession, scope: str) -> bool:
    return bool(await session.scalar(select(exists().where(Unit.scope == scope))))


async def units_of(session: AsyncSession, scope: str) -> dict[str, Unit]:
    return {u.code: u for u in await session.scalars(select(Unit).where(Unit.scope == scope))}


async def leaders_of(session: AsyncSession, scope: str) -> dict[str, Leader]:
    return {x.code: x for x in await session.scalars(select(Leader).where(Leader.scope == scope))}


def leaders_in_charge(unit_code: str, leaders: dict[str, Leader]) -> list[str]:
    return sorted(code for code, leader in leaders.items() if leader.active and unit_code in leader.units)


async def save_unit(session: AsyncSession, scope: str, code: str, values: dict,
                    leaders: dict[str, Leader] | None = None) -> tuple[Unit, str | None]:
    """Insert or update a unit; returns it and "registered", "updated" or None (nothing changed)."""
    unit = await session.scalar(select(Unit).where(Unit.scope == scope, Unit.code == code).with_for_update())
    if unit is None:
        unit = Unit(scope=scope, code=code, event_seq=0, **values)
        session.add(unit)
        outcome = "registered"
    elif any(getattr(unit, f) != values[f] for f in UNIT_FIELDS):
        for f in UNIT_FIELDS:
            setattr(unit, f, values[f])
        outcome = "updated"
    else:
        return unit, None
    leaders = leaders if leaders is not None else await leaders_of(session, scope)
    await emit_unit(session, unit, leaders, registered=outcome == "registered")
    return unit, outcome


async def emit_unit(session: AsyncSession, unit: Unit, leaders: dict[str, Leader], registered: bool = False) -> None:
    unit.event_seq = (unit.event_seq or 0) + 1
    contract = UnitRegistered if registered else UnitUpdated
    snapshot = UnitSnapshot(unit_code=unit.code, name=unit.name, kind=unit.kind, parent=unit.parent,
                            assessment_group=unit.assessment_group, leaders=leaders_in_charge(unit.code, leaders),
                            active=unit.active)
    await record_event(session, new_event(contract(**snapshot.model_dump()), scope=unit.scope,
                                          aggregate_id=unit_aggregate(unit.scope, unit.code), sequence=unit.event_seq))


async def save_leader(session: AsyncSession, scope: str, code: str, values: dict) -> tuple[Leader, str | None]:
    """Insert or update a leader; units whose leaders change get a unit.updated event too."""
    leaders = await leaders_of(session, scope)
    leader = leaders.get(code)
    before_units = set(leader.units) if leader and leader.active else set()
    if leader is None:
        leader = Leader(scope=scope, code=code, event_seq=0, **values)
        session.add(leader)
        leaders[code] = leader
        outcome = "registered"
    elif any(getattr(leader, f) != values[f] for f in LEADER_FIELDS):
        for f in LEADER_FIELDS:
            setattr(leader, f, values[f])
        outcome = "updated"
    else:
        return leader, None
    leader.event_seq = (leader.event_seq or 0) + 1
    contract = LeaderRegistered if outcome == "registered" else LeaderUpdated
    payload = contract(leader_code=code, name=leader.name, title=leader.title, units=list(leader.units),
                       active=leader.active)
    await record_event(session, new_event(payload, scope=scope, aggregate_id=f"leader:{scope}:{code}",
                                          sequence=leader.event_seq))
    after_units = set(leader.units) if leader.active else set()
    touched = before_units ^ after_units
    if touched:
        units = await session.scalars(select(Unit).where(Unit.scope == scope, Unit.code.in_(touched)).with_for_update())
        for unit in units:
            await emit_unit(session, unit, leaders)
    return leader, outcome

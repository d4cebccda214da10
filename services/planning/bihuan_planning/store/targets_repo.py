"""Writing targets: their book, references into the directory, versions and history."""
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_planning.domain.history import diff
from bihuan_planning.store.directory_models import Leader, Unit
from bihuan_planning.store.models import Milestone, Target, TargetBook, TargetHistory
from bihuan_shared.web.errors import Invalid

TARGET_FIELDS = ("title", "content", "work_measures", "area", "parent_id", "category", "source", "lead_unit",
                 "responsible_units", "cooperating_units", "leader", "weight", "indicator", "proposal")


def book_id(scope: str, year: int) -> str:
    return f"{scope}-{year}"


async def ensure_book(session: AsyncSession, scope: str, year: int, actor: str, period: str | None = None) -> None:
    values = dict(id=book_id(scope, year), scope=scope, year=year, title=f"{scope} {year} 年度目标书",
                  milestone_period=period or "quarter", created_by=actor)
    stmt = insert(TargetBook).values(**values)
    if period:
        stmt = stmt.on_conflict_do_update(index_elements=["id"], set_={"milestone_period": period})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=["id"])
    await session.execute(stmt)


def state(target: Target) -> dict:
    """A target's comparable state, JSON-ready: what history diffs and adjustments merge."""
    out = {f: getattr(target, f) for f in TARGET_FIELDS}
    out |= {"code": target.code, "status": target.status,
            "responsible_units": list(target.responsible_units), "cooperating_units": list(target.cooperating_units),
            "milestones": [milestone_state(m.due_date, m.expected_value, m.deliverable) for m in target.milestones]}
    return out


def milestone_state(due: date | str, value: float | None, deliverable: str | None) -> dict:
    return {"due_date": due if isinstance(due, str) else due.isoformat(), "expected_value": value,
            "deliverable": deliverable}


def apply(target: Target, values: dict) -> list[dict]:
    """Set the given fields (and milestones) on the target; returns what changed. Milestone ids stay stable by
    position, so progress other services recorded against a milestone keeps pointing at it."""
    before = state(target)
    for f in TARGET_FIELDS:
        if f in values:
            setattr(target, f, values[f])
    if "milestones" in values:
        _replace_milestones(target, values["milestones"])
    after = state(target)
    return diff(before, after)


def _replace_milestones(target: Target, planned: list[dict]) -> None:
    kept = list(target.milestones)[: len(planned)]
    for i, m in enumerate(planned):
        due = m["due_date"] if isinstance(m["due_date"], date) else date.fromisoformat(m["due_date"])
        if i < len(kept):
            kept[i].due_date, kept[i].expected_value, kept[i].deliverable = due, m.get("expected_value"), m.get("deliverable")
        else:
            kept.append(Milestone(seq=i + 1, due_date=due, expected_value=m.get("expected_value"),
                                  deliverable=m.get("deliverable")))
    target.milestones = kept


def history(target: Target, action: str, actor: str, *, reason: str | None = None, changes: list | None = None,
            adjustment_id: str | None = None) -> TargetHistory:
    return TargetHistory(target_id=target.id, version=target.version, action=action, actor=actor, reason=reason,
                         changes=changes or [], adjustment_id=adjustment_id)


async def check_references(session: AsyncSession, scope: str, year: int, values: dict) -> None:
    """Units and the leader must be in the scope's directory — once the scope has one (targets of a scope
    without a directory, e.g. created before it was loaded, are accepted as they are). The parent must be a
    target of the same book."""
    problems = []
    units = set(await session.scalars(select(Unit.code).where(Unit.scope == scope, Unit.active.is_(True))))
    if units:
        for field in ("lead_unit", "responsible_units", "cooperating_units"):
            refs = values.get(field)
            refs = [refs] if isinstance(refs, str) else (refs or [])
            problems += [{"field": field, "message": f"单位 {u} 不在辖区单位目录中"} for u in refs if u not in units]
    leader = values.get("leader")
    if leader:
        leaders = set(await session.scalars(select(Leader.code).where(Leader.scope == scope)))
        if leaders and leader not in leaders:
            problems.append({"field": "leader", "message": f"分管领导 {leader} 不在辖区目录中"})
    parent = values.get("parent_id")
    if parent:
        found = await session.scalar(select(Target.id).where(Target.id == parent, Target.scope == scope,
                                                             Target.year == year))
        if not found:
            problems.append({"field": "parent_id", "message": f"上级目标 {parent} 不在同一目标书中"})
    if problems:
        raise Invalid("目标引用了不存在的单位、领导或上级目标", code="unknown_reference", details=problems)

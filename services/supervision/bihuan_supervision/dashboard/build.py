"""Building a leader's dashboard and a category view from the database (the truth); Redis only keeps the result."""


from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_supervision.domain.feeds import COUNTERS
from bihuan_supervision.domain.metrics import rates
from bihuan_supervision.store.models import MilestoneView, TargetView
from bihuan_supervision.store.order_tables import SupervisionOrder
from bihuan_supervision.store.warning_tables import Warning
from bihuan_supervision.store.warnings import today

CATEGORIES = ("key_work", "special_work", "major_project", "public_service", "unit_work")
_SUMS = ", ".join(f"sum({c})::bigint AS {c}" for c in COUNTERS)


async def leader_view(session: AsyncSession, scope: str, leader: str) -> dict:
    targets = await targets_of(session, scope, TargetView.leader == leader)
    warnings = (await session.scalars(select(Warning).where(
        Warning.scope == scope, Warning.leader == leader, Warning.status == "open")
        .order_by(Warning.id.desc()).limit(100))).all()
    orders = (await session.scalars(select(SupervisionOrder).where(
        SupervisionOrder.scope == scope, SupervisionOrder.leader == leader, SupervisionOrder.status != "accepted")
        .order_by(SupervisionOrder.issued_at.desc()).limit(100))).all()
    units = sorted({t["lead_unit"] for t in targets})
    return {
        "scope": scope, "leader": leader,
        **summary(targets),
        "open_warnings": [{"id": w.id, "kind": w.kind, "level": w.level, "target_id": w.target_id, "unit": w.unit,
                           "message": w.message, "raised_at": w.raised_at.isoformat()} for w in warnings],
        "open_orders": [{"id": o.id, "unit": o.unit, "title": o.title, "status": o.status, "escalated": o.escalated,
                         "reply_by": o.reply_by.isoformat()} for o in orders],
        "hotline": await _hotline_signal(session, scope, units),
    }


async def category_view(session: AsyncSession, scope: str, category: str) -> dict:
    targets = await targets_of(session, scope, TargetView.category == category)
    return {"scope": scope, "category": category, **summary(targets)}


def summary(targets: list[dict]) -> dict:
    counts = {"red": 0, "yellow": 0, "green": 0, "total": len(targets)}
    by_category = {c: {"red": 0, "yellow": 0, "green": 0, "total": 0} for c in CATEGORIES}
    for t in targets:
        counts[t["color"]] += 1
        bucket = by_category.setdefault(t["category"], {"red": 0, "yellow": 0, "green": 0, "total": 0})
        bucket[t["color"]] += 1
        bucket["total"] += 1
    return {"counts": counts, "by_category": by_category, "targets": targets}


async def targets_of(session: AsyncSession, scope: str, where) -> list[dict]:
    views = (await session.scalars(select(TargetView).where(TargetView.scope == scope, ~TargetView.cancelled, where)
                                   .order_by(TargetView.code))).all()
    ids = [v.id for v in views]
    levels: dict[str, set[str]] = {}
    for target_id, level in (await session.execute(select(Warning.target_id, Warning.level).where(
            Warning.scope == scope, Warning.status == "open", Warning.target_id.in_(ids)))).all():
        levels.setdefault(target_id, set()).add(level)
    day = today()
    out = []
    for v in views:
        ms: list[MilestoneView] = list(v.milestones)
        overdue = any(m.completed_on is None and (m.status == "overdue" or m.due_date < day) for m in ms)
        lv = levels.get(v.id, set())
        color = "red" if overdue or "red" in lv else "yellow" if "yellow" in lv else "green"
        reported = [m for m in ms if m.last_reported_at is not None]
        latest = max(reported, key=lambda m: m.last_reported_at) if reported else None
        out.append({"id": v.id, "code": v.code, "title": v.title, "category": v.category, "lead_unit": v.lead_unit,
                    "color": color, "milestones_done": sum(m.completed_on is not None for m in ms),
                    "milestones": len(ms),
                    "latest_progress": None if latest is None else {
                        "milestone_id": latest.id, "value": latest.latest_value,
                        "reported_at": latest.last_reported_at.isoformat()}})
    return out


async def _hotline_signal(session: AsyncSession, scope: str, units: list[str]) -> dict:
    """This month's hotline counts and rates of the units leading the leader's targets."""
    if not units:
        return {}
    month = today().replace(day=1)
    rows = await session.execute(text(
        f"SELECT unit, {_SUMS} FROM unit_month_counts WHERE scope = :scope AND source = 'hotline'"
        " AND month = :month AND unit = ANY(:units) GROUP BY unit"), {"scope": scope, "month": month, "units": units})
    signal = {u: {"month": month.isoformat()[:7], "orders": 0, "metrics": {}} for u in units}
    for r in rows:
        counts = {c: getattr(r, c) for c in COUNTERS}
        signal[r.unit] = {"month": month.isoformat()[:7], "orders": counts["records"],
                          "metrics": rates("hotline", counts)}
    return signal



"""The citizens' voice about a target: the running counts of the hotline categories linked to it."""
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_supervision.domain.feeds import COUNTERS
from bihuan_supervision.domain.metrics import rates

_SUMS = ", ".join(f"coalesce(sum(c.{n}), 0)::bigint AS {n}" for n in COUNTERS)


async def citizen_voice(session: AsyncSession, scope: str, target_id: str, year: int) -> list[dict]:
    rows = await session.execute(text(
        f"SELECT l.topic, {_SUMS} FROM topic_target_links l LEFT JOIN topic_month_counts c"
        " ON c.scope = l.scope AND c.source = l.source AND c.topic = l.topic AND c.month BETWEEN :first AND :last"
        " WHERE l.scope = :scope AND l.target_id = :target GROUP BY l.topic ORDER BY l.topic"),
        {"scope": scope, "target": target_id, "first": date(year, 1, 1), "last": date(year, 12, 1)})
    voice = []
    for r in rows:
        counts = {n: getattr(r, n) for n in COUNTERS}
        voice.append({"topic": r.topic, "year": year, "orders": counts["records"], "counts": counts,
                      "metrics": rates("hotline", counts)})
    return voice


async def recent_orders(session: AsyncSession, scope: str, target_id: str, limit: int = 50) -> list[dict]:
    """The latest work orders in the categories linked to the target (newest version of each)."""
    rows = await session.execute(text(
        "SELECT o.order_id, o.category, o.sub_category, o.status, o.received_at, o.assigned_unit, o.satisfaction"
        " FROM hotline_orders o WHERE o.scope = :scope AND o.category IN"
        " (SELECT topic FROM topic_target_links WHERE scope = :scope AND target_id = :target)"
        " ORDER BY o.received_at DESC LIMIT :limit"), {"scope": scope, "target": target_id, "limit": limit})
    return [{"order_id": r.order_id, "category": r.category, "sub_category": r.sub_category, "status": r.status,
             "received_at": r.received_at.isoformat(), "assigned_unit": r.assigned_unit,
             "satisfaction": r.satisfaction} for r in rows]

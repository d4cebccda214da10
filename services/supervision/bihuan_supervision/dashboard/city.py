"""The city's board (全市看板): each district's targets red / yellow / green with counts, open warnings and orders, and
the city's own targets; one district's targets for the drill-down. The colours are the leader board's (red: a
milestone overdue or a red warning open; yellow: a yellow warning open; green otherwise), computed by PostgreSQL in
one grouped query so that sixteen districts with twenty thousand targets cost one round trip, not twenty thousand
rows loaded."""
from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String

from bihuan_shared.scopes import scope_tree
from bihuan_supervision.dashboard.build import summary
from bihuan_supervision.store.warnings import today

# Each target's colour and milestone counts, by hash joins over the scopes' targets (no per-target subqueries):
# milestones and open warnings are grouped once per target, then joined.
def _per_target(latest: bool) -> str:
    latest_columns = """,
               max(mv.last_reported_at) AS reported_at,
               (array_agg(mv.latest_value ORDER BY mv.last_reported_at DESC NULLS LAST))[1] AS latest_value,
               (array_agg(mv.id ORDER BY mv.last_reported_at DESC NULLS LAST))[1] AS latest_milestone"""
    latest_columns = latest_columns if latest else ""
    latest_select = "m.reported_at, m.latest_value, m.latest_milestone," if latest else ""
    return _PER_TARGET.replace("{latest_columns}", latest_columns).replace("{latest_select}", latest_select)


_PER_TARGET = """
    WITH chosen AS (SELECT * FROM target_views WHERE scope = ANY(:scopes) AND NOT cancelled),
    m AS (
        SELECT mv.target_id, count(*) AS total, count(*) FILTER (WHERE mv.completed_on IS NOT NULL) AS done,
               bool_or(mv.completed_on IS NULL AND (mv.status = 'overdue' OR mv.due_date < :day)) AS overdue
               {latest_columns}
        FROM milestone_views mv JOIN chosen ON chosen.id = mv.target_id GROUP BY mv.target_id),
    w AS (
        SELECT target_id, bool_or(level = 'red') AS red, bool_or(level = 'yellow') AS yellow FROM warnings
        WHERE scope = ANY(:scopes) AND status = 'open' AND target_id IS NOT NULL GROUP BY target_id),
    coloured AS (
        SELECT chosen.*, coalesce(m.total, 0) AS total, coalesce(m.done, 0) AS done, {latest_select}
               CASE WHEN coalesce(m.overdue, false) OR coalesce(w.red, false) THEN 'red'
                    WHEN coalesce(w.yellow, false) THEN 'yellow' ELSE 'green' END AS colour
        FROM chosen LEFT JOIN m ON m.target_id = chosen.id LEFT JOIN w ON w.target_id = chosen.id)
"""
COLOURS = text(_per_target(False) + "SELECT scope, colour, count(*) AS n FROM coloured GROUP BY scope, colour") \
    .bindparams(bindparam("scopes", type_=ARRAY(String)))
TARGETS = text(_per_target(True) + "SELECT * FROM coloured ORDER BY code").bindparams(
    bindparam("scopes", type_=ARRAY(String)))
OPEN_WORK = text("""
    SELECT scope, 'warnings' AS what, count(*) AS n FROM warnings WHERE scope = ANY(:scopes) AND status = 'open'
    GROUP BY scope
    UNION ALL
    SELECT scope, 'orders', count(*) FROM supervision_orders WHERE scope = ANY(:scopes) AND status <> 'accepted'
    GROUP BY scope
""").bindparams(bindparam("scopes", type_=ARRAY(String)))


async def city_view(session: AsyncSession, city: str) -> dict:
    districts = (await session.execute(select(scope_tree.c.code, scope_tree.c.name).where(
        scope_tree.c.parent == city).order_by(scope_tree.c.code))).all()
    name = await session.scalar(select(scope_tree.c.name).where(scope_tree.c.code == city))
    scopes = [city, *(d.code for d in districts)]
    blank = {s: {"red": 0, "yellow": 0, "green": 0, "total": 0, "open_warnings": 0, "open_orders": 0}
             for s in scopes}
    for row in await session.execute(COLOURS, {"scopes": scopes, "day": today()}):
        blank[row.scope][row.colour] = row.n
        blank[row.scope]["total"] += row.n
    for row in await session.execute(OPEN_WORK, {"scopes": scopes}):
        blank[row.scope]["open_" + row.what] = row.n
    lines = [{"district": d.code, "name": d.name, **blank[d.code]} for d in districts]
    # Worst first: the districts with most red, then most yellow, are what a city leader opens the board for.
    lines.sort(key=lambda d: (-d["red"], -d["yellow"], d["district"]))
    totals = {k: sum(d[k] for d in lines) for k in ("red", "yellow", "green", "total", "open_warnings",
                                                   "open_orders")}
    return {"city": city, "name": name or city, "districts": lines, "totals": totals, "city_own": blank[city]}


async def district_view(session: AsyncSession, district: str) -> dict:
    """A district's targets as its leader boards colour them, all leaders and categories (the city's drill-down)."""
    rows = (await session.execute(TARGETS, {"scopes": [district], "day": today()})).mappings().all()
    targets = [{"id": r["id"], "code": r["code"], "title": r["title"], "category": r["category"],
                "lead_unit": r["lead_unit"], "color": r["colour"], "milestones_done": r["done"],
                "milestones": r["total"],
                "latest_progress": None if r["reported_at"] is None else {
                    "milestone_id": r["latest_milestone"], "value": r["latest_value"],
                    "reported_at": r["reported_at"].isoformat()}} for r in rows]
    name = await session.scalar(select(scope_tree.c.name).where(scope_tree.c.code == district))
    return {"district": district, "name": name or district, **summary(targets)}

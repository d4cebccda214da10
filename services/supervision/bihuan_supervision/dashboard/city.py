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
from bihuan_supervision.dashboard.build import summary, targets_of
from bihuan_supervision.store.models import TargetView
from bihuan_supervision.store.warnings import today

COLOURS = text("""
    WITH colour AS (
        SELECT t.scope,
               CASE WHEN EXISTS (SELECT 1 FROM milestone_views m WHERE m.target_id = t.id AND m.completed_on IS NULL
                                 AND (m.status = 'overdue' OR m.due_date < :day))
                      OR EXISTS (SELECT 1 FROM warnings w WHERE w.target_id = t.id AND w.scope = t.scope
                                 AND w.status = 'open' AND w.level = 'red') THEN 'red'
                    WHEN EXISTS (SELECT 1 FROM warnings w WHERE w.target_id = t.id AND w.scope = t.scope
                                 AND w.status = 'open' AND w.level = 'yellow') THEN 'yellow'
                    ELSE 'green' END AS colour
        FROM target_views t
        WHERE t.scope = ANY(:scopes) AND NOT t.cancelled
    )
    SELECT scope, colour, count(*) AS n FROM colour GROUP BY scope, colour
""").bindparams(bindparam("scopes", type_=ARRAY(String)))
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
    """A district's targets as its leader board colours them, all leaders and categories (the city's drill-down)."""
    targets = await targets_of(session, district, TargetView.id.isnot(None))
    name = await session.scalar(select(scope_tree.c.name).where(scope_tree.c.code == district))
    return {"district": district, "name": name or district, **summary(targets)}

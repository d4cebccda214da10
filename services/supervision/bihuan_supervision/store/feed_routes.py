"""A feed identity's routes (domain/feeds/routing.py) from supervision's copy of the scope tree.

Read once per batch (HTTP), per file, or per consumed batch (AMQP): one small query, so a district registered by
the city is routed to by the next batch, and the hot path per record is a dictionary lookup."""
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bihuan_shared.scopes import scope_tree
from bihuan_supervision.domain.feeds.routing import Routes


async def load_routes(session: AsyncSession, scope: str) -> Routes:
    t = scope_tree.c
    rows = (await session.execute(select(t.code, t.name, t.kind, t.parent).order_by(t.code))).all()
    home = next((r for r in rows if r.code == scope), None)
    if home is not None and home.kind == "city":
        to: dict[str, str] = {}
        for r in rows:
            if r.parent == scope and r.kind == "district":
                to.setdefault(r.name, r.code)  # two districts of one city sharing a name: the first by code wins
        to.update({r.code: r.code for r in rows if r.parent == scope and r.kind == "district"})
        return Routes(home=scope, city=True, to=to)
    own = {scope} | ({home.name} if home is not None else set())
    return Routes(home=scope, foreign=frozenset({r.code for r in rows} | {r.name for r in rows}) - own)


async def routes_for(sessionmaker: async_sessionmaker[AsyncSession], scope: str) -> Routes:
    async with sessionmaker() as session:
        return await load_routes(session, scope)

"""A city's districts as assessment knows them (its copy of the scope tree): a city scheme's assessed units."""
from sqlalchemy import select

from bihuan_shared.scopes import scope_tree


async def city_districts(conn, scope: str) -> dict[str, str] | None:
    """{district code: name} when `scope` is a registered city (possibly with no district yet), else None.
    `conn` is a session or a connection: both execute Core selects."""
    kind = (await conn.execute(select(scope_tree.c.kind).where(scope_tree.c.code == scope))).scalar()
    if kind != "city":
        return None
    rows = await conn.execute(select(scope_tree.c.code, scope_tree.c.name)
                              .where(scope_tree.c.parent == scope, scope_tree.c.kind == "district"))
    return {r.code: r.name for r in rows}

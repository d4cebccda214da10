"""The scope tree copy: a district's event must come labelled with its city, stale updates are ignored, and a city
token's districts come from the table (real PostgreSQL)."""
import pytest
import pytest_asyncio
from sqlalchemy import select

from bihuan_shared.bus.consumer import HandlerContext, PermanentFailure
from bihuan_shared.contracts.planning import ScopeRegistered, ScopeUpdated
from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.events import new_event
from bihuan_shared.scopes import SCOPE_TREE_METADATA, on_scope_saved, scope_tree


@pytest_asyncio.fixture(scope="module")
async def sessionmaker(make_database):
    engine = make_engine(await make_database("kit_scope_tree"), pool_size=2)
    async with engine.begin() as conn:
        await conn.run_sync(SCOPE_TREE_METADATA.create_all)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def apply(sessionmaker, payload, *, scope: str, sequence: int) -> None:
    envelope = new_event(payload, scope=scope, aggregate_id=f"scope:{payload.code}", sequence=sequence)
    async with sessionmaker() as session, session.begin():
        await on_scope_saved(HandlerContext(session=session, envelope=envelope, resources={}), payload)


async def rows(sessionmaker) -> dict[str, tuple]:
    async with sessionmaker() as session:
        result = await session.execute(select(scope_tree.c.code, scope_tree.c.name, scope_tree.c.parent))
        return {code: (name, parent) for code, name, parent in result}


async def test_the_tree_is_kept_in_order_and_never_from_a_mislabelled_event(sessionmaker):
    await apply(sessionmaker, ScopeRegistered(code="qd", name="青岛市", kind="city"), scope="qd", sequence=1)
    district = ScopeRegistered(code="qd-hd", name="黄岛区", kind="district", parent="qd")
    with pytest.raises(PermanentFailure):  # another city claims the district: would widen that city's reach
        await apply(sessionmaker, district, scope="lyg", sequence=1)
    assert "qd-hd" not in await rows(sessionmaker)
    await apply(sessionmaker, district, scope="qd", sequence=1)
    await apply(sessionmaker, ScopeUpdated(code="qd-hd", name="西海岸新区", kind="district", parent="qd"),
                scope="qd", sequence=3)
    await apply(sessionmaker, ScopeUpdated(code="qd-hd", name="旧名", kind="district", parent="qd"),
                scope="qd", sequence=2)  # stale: arrives after a newer one
    assert (await rows(sessionmaker))["qd-hd"] == ("西海岸新区", "qd")


async def test_a_registered_scope_is_only_changed_by_events_labelled_with_its_own_city(sessionmaker):
    """Issue 12 #10: an update claiming another city (and labelled with it) renamed the district."""
    await apply(sessionmaker, ScopeRegistered(code="yt", name="烟台市", kind="city"), scope="yt", sequence=1)
    await apply(sessionmaker, ScopeRegistered(code="yt-zf", name="芝罘区", kind="district", parent="yt"),
                scope="yt", sequence=1)
    for parent in ("wh", None):  # another city; or none, labelled with the district itself
        forged = ScopeUpdated(code="yt-zf", name="改名", kind="district", parent=parent)
        with pytest.raises(PermanentFailure, match="belongs to scope 'yt'"):
            await apply(sessionmaker, forged, scope=parent or "yt-zf", sequence=5)
    assert (await rows(sessionmaker))["yt-zf"] == ("芝罘区", "yt")

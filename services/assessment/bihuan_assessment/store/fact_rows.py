"""The target and milestone facts a consumer batch touches, loaded and written in a fixed number of statements
whatever the batch's size (events/facts.py folds the batch's events in between). Plain rows, not ORM objects:
nothing here needs an identity map, and building one per row was most of the cost."""
from sqlalchemy import String, Table, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_assessment.store.models import MilestoneFact, TargetFact

TARGETS: Table = TargetFact.__table__
MILESTONES: Table = MilestoneFact.__table__
Rows = dict[str, dict]


async def lock_facts(session: AsyncSession, target_ids: list[str], milestone_ids: list[str]) -> tuple[Rows, Rows]:
    """The stored facts among these ids, locked targets first and each table in id order, so competing workers
    never deadlock (FOR NO KEY UPDATE: nothing here changes a key)."""
    return await _locked(session, TARGETS, target_ids), await _locked(session, MILESTONES, milestone_ids)


async def write_facts(session: AsyncSession, table: Table, new: list[dict], known: list[dict]) -> None:
    """New rows are inserted (one another worker inserted meanwhile fails the batch, which is then replayed one
    event at a time and finds it); known rows, locked above, are rewritten whole in one statement."""
    if new:
        await session.execute(insert(table), new)
    if known:
        stmt = insert(table)
        await session.execute(stmt.on_conflict_do_update(
            index_elements=[table.c.id], set_={c.name: stmt.excluded[c.name] for c in table.c if c.name != "id"}),
            known)


async def _locked(session: AsyncSession, table: Table, ids: list[str]) -> Rows:
    if not ids:
        return {}
    # one array parameter: the same statement text for any number of ids (asyncpg prepares it once)
    rows = await session.execute(select(table).where(table.c.id == any_(bindparam("ids", sorted(ids), ARRAY(String))))
                                 .order_by(table.c.id).with_for_update(key_share=True))
    return {r.id: r._asdict() for r in rows}

"""Execution's copy of a batch of targets, loaded and written in a fixed number of statements whatever the batch's
size (the consumer of planning's events folds its events in between: events/targets.py). Plain rows, not ORM
objects: nothing here needs an identity map, and building one per row was most of the cost."""
from sqlalchemy import String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_execution.store.models import MilestoneCopy, TargetCopy

TARGETS, MILESTONES = TargetCopy.__table__, MilestoneCopy.__table__
# What planning's events decide about a known milestone; its completion, values and the clock's marks are
# execution's own and never written from here.
PLANNED = ("seq", "due_date", "expected_value", "deliverable", "status", "withdrawn")

Rows = dict[str, dict]


async def lock_targets(session: AsyncSession, target_ids: list[str]) -> tuple[Rows, dict[str, Rows]]:
    """The stored targets among target_ids and all their milestones (withdrawn ones too), locked in id order so
    competing consumers never deadlock. FOR NO KEY UPDATE: a progress report referring to a target (a foreign key
    check) still goes ahead; the milestones are locked too, so a report completing one meanwhile is either seen
    here or waits, and a milestone's status is never judged on a completion it missed."""
    rows = await session.execute(select(TARGETS).where(TARGETS.c.id == any_(_ids("target_ids", target_ids)))
                                 .order_by(TARGETS.c.id).with_for_update(key_share=True))
    targets = {r.id: r._asdict() for r in rows}
    milestones: dict[str, Rows] = {target_id: {} for target_id in targets}
    if targets:
        rows = await session.execute(select(MILESTONES).where(MILESTONES.c.target_id == any_(
            _ids("stored_ids", list(targets)))).order_by(MILESTONES.c.id).with_for_update(key_share=True))
        for r in rows:
            milestones[r.target_id][r.id] = r._asdict()
    return targets, milestones


async def write_targets(session: AsyncSession, new: list[dict], known: list[dict]) -> None:
    """New rows are inserted (one that another consumer inserted meanwhile fails the batch, which is then replayed
    one event at a time and finds it); known rows, locked above, are rewritten whole."""
    if new:
        await session.execute(insert(TARGETS), new)
    if known:
        await session.execute(_rewrite(TARGETS, [c.name for c in TARGETS.c if c.name != "id"]), known)


async def write_milestones(session: AsyncSession, new: list[dict], known: list[dict]) -> None:
    """A new milestone whose id is already taken (by another target) fails the batch the same way."""
    if new:
        await session.execute(insert(MILESTONES), new)
    if known:
        await session.execute(_rewrite(MILESTONES, PLANNED), known)


def _rewrite(table, columns):
    """Update many rows by primary key in one statement (the rows exist: they are locked; the insert never runs)."""
    stmt = insert(table)
    return stmt.on_conflict_do_update(index_elements=[table.c.id], set_={c: stmt.excluded[c] for c in columns})


def _ids(name: str, ids: list[str]):
    """One array parameter: the same statement text for any number of ids (asyncpg prepares it once)."""
    return bindparam(name, ids, type_=ARRAY(String))

"""Supervision's read model for a batch of events, loaded and written in a fixed number of statements whatever the
batch's size (the read-model consumer folds its events in between: events/read_model.py). Plain rows, not ORM
objects: nothing here needs an identity map, and building one per row was most of the cost."""
from sqlalchemy import String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_supervision.store.models import MilestoneView, TargetView
from bihuan_supervision.store.warning_tables import LagSeen

TARGETS, MILESTONES, LAGS = TargetView.__table__, MilestoneView.__table__, LagSeen.__table__

Rows = dict[str, dict]


async def lock_views(session: AsyncSession, target_ids: list[str], milestone_ids: list[str]) -> tuple[Rows, Rows]:
    """The stored targets and milestones among these ids, locked in id order (targets first, as one event at a
    time would) so competing consumers never deadlock."""
    targets: Rows = {}
    if target_ids:
        rows = await session.execute(select(TARGETS).where(TARGETS.c.id == any_(_ids("target_ids", target_ids)))
                                     .order_by(TARGETS.c.id).with_for_update())
        targets = {r.id: r._asdict() for r in rows}
    milestones: Rows = {}
    if milestone_ids:
        rows = await session.execute(select(MILESTONES).where(MILESTONES.c.id == any_(
            _ids("milestone_ids", milestone_ids))).order_by(MILESTONES.c.id).with_for_update())
        milestones = {r.id: r._asdict() for r in rows}
    return targets, milestones


async def seen_lags(session: AsyncSession, lag_ids: list[str]) -> set[str]:
    if not lag_ids:
        return set()
    return set((await session.scalars(select(LAGS.c.lag_id).where(LAGS.c.lag_id == any_(_ids("lag_ids", lag_ids)))
                                      )).all())


async def write_views(session: AsyncSession, targets: tuple[list[dict], list[dict]],
                      milestones: tuple[list[dict], list[dict]], lags: list[dict]) -> None:
    """New rows are inserted (one that another consumer inserted meanwhile fails the batch, which is then replayed
    one event at a time and finds it); known rows, locked above, are rewritten whole. Targets go first: a new
    milestone refers to its target."""
    for table, (new, known) in ((TARGETS, targets), (MILESTONES, milestones)):
        if new:
            await session.execute(insert(table), new)
        if known:
            await session.execute(_rewrite(table), known)
    if lags:
        await session.execute(insert(LAGS), lags)


def _rewrite(table):
    """Update many rows by primary key in one statement (the rows exist: they are locked; the insert never runs)."""
    stmt = insert(table)
    return stmt.on_conflict_do_update(index_elements=[table.c.id],
                                      set_={c.name: stmt.excluded[c.name] for c in table.c if c.name != "id"})


def _ids(name: str, ids: list[str]):
    """One array parameter: the same statement text for any number of ids (asyncpg prepares it once)."""
    return bindparam(name, ids, type_=ARRAY(String))

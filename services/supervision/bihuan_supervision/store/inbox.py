"""The warning inbox: whose warnings a caller sees and the read state of the caller's inbox. A unit's reporters share
their unit's inbox, a leader has hers, and the supervision office and the target office share the office's."""
from sqlalchemy import Select, and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_shared.auth import Principal, Role
from bihuan_shared.web.errors import Forbidden
from bihuan_supervision.store.inbox_tables import WarningRead
from bihuan_supervision.store.warning_tables import Warning

OVERSIGHT = (Role.SUPERVISOR, Role.TARGET_OFFICE)


def recipient(principal: Principal) -> str:
    """The inbox the caller reads: the office's, the leader's own or the unit's."""
    if principal.has(*OVERSIGHT):
        return "office"
    if principal.has(Role.LEADER):
        return f"leader:{principal.user}"
    if principal.unit:
        return f"unit:{principal.unit}"
    raise Forbidden("填报员身份须属于某个单位", code="unit_required")


def visible(query: Select, principal: Principal) -> Select:
    """Only the warnings of the caller's scope addressed to the caller's inbox."""
    query = query.where(Warning.scope == principal.scope)
    if principal.has(*OVERSIGHT):
        return query
    if principal.has(Role.LEADER):
        return query.where(Warning.leader == principal.user)
    recipient(principal)  # a reporter without a unit has no inbox
    return query.where(Warning.unit == principal.unit)


def with_read_state(principal: Principal, *columns) -> Select:
    """The columns (default: the warning and this inbox's read_at, None while unread) of the visible warnings."""
    read = and_(WarningRead.warning_id == Warning.id, WarningRead.recipient == recipient(principal))
    query = select(*(columns or (Warning, WarningRead.read_at))).select_from(Warning).outerjoin(WarningRead, read)
    return visible(query, principal)


async def unread_counts(session: AsyncSession, principal: Principal) -> dict[str, int]:
    """Open warnings this inbox has not read yet, in all and per level."""
    query = with_read_state(principal, Warning.level, func.count()).where(
        Warning.status == "open", WarningRead.read_at.is_(None)).group_by(Warning.level)
    levels = dict((await session.execute(query)).all())
    return {"unread": sum(levels.values()), "red": levels.get("red", 0), "yellow": levels.get("yellow", 0)}


async def mark_read(session: AsyncSession, principal: Principal, warning_ids: list[int]) -> list[int]:
    """Mark these (visible) warnings read in the caller's inbox; answers the ones that were unread until now."""
    if not warning_ids:
        return []
    rows = insert(WarningRead).values([{"warning_id": i, "recipient": recipient(principal), "read_by": principal.user}
                                       for i in warning_ids])
    return list((await session.scalars(rows.on_conflict_do_nothing().returning(WarningRead.warning_id))).all())


async def visible_ids(session: AsyncSession, principal: Principal, *, warning_id: int | None = None,
                      unread_open: bool = False) -> list[int]:
    """The ids of one visible warning (or none), or of every open warning this inbox has not read."""
    query = with_read_state(principal, Warning.id)
    if warning_id is not None:
        query = query.where(Warning.id == warning_id)
    if unread_open:
        query = query.where(Warning.status == "open", WarningRead.read_at.is_(None))
    return list((await session.scalars(query)).all())

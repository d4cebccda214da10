"""Which scopes a metrics read covers: the caller's own (default), a district its city token reads, or the city
itself, whose figures are its districts' added up (domain/city_metrics.py)."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_shared.auth import Principal
from bihuan_shared.scopes import scope_tree
from bihuan_supervision.domain.metrics import check_code
from bihuan_supervision.store.metric_tables import PeriodClosure

MAX_SCOPE_CODE = 64


@dataclass(frozen=True)
class Reach:
    scope: str           # the scope asked for
    scopes: list[str]    # where its counts are: the scope itself, or a city's districts (code order)
    city: bool


def metrics_reach(principal: Principal, scope: str | None) -> Reach:
    """`scope=` of a metrics route, checked: the caller may read it (Principal.reads), else 403 scope_forbidden."""
    asked = principal.scope if scope is None else check_code(scope, "scope", MAX_SCOPE_CODE, "辖区编码")
    principal.require_read_scope(asked)
    if asked == principal.scope and principal.districts:
        return Reach(asked, sorted(principal.districts), True)
    return Reach(asked, [asked], False)


async def district_names(session: AsyncSession, reach: Reach) -> dict[str, str]:
    rows = await session.execute(select(scope_tree.c.code, scope_tree.c.name)
                                 .where(scope_tree.c.code.in_(reach.scopes)))
    return {code: name for code, name in rows}


async def period_closed(session: AsyncSession, reach: Reach, period: str) -> bool:
    """A district's period is closed when it closed it; a city's when every one of its districts has."""
    closed = await session.scalar(select(func.count()).select_from(PeriodClosure).where(
        PeriodClosure.scope.in_(reach.scopes), PeriodClosure.period == period))
    return closed == len(reach.scopes)

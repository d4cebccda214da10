"""Reading one group's inputs as a single consistent snapshot (REPEATABLE READ, read only): a unit's score is never
computed from half-applied events, whatever the fact consumers commit meanwhile."""
from contextlib import asynccontextmanager
from datetime import date
from typing import AsyncIterator

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bihuan_assessment.domain.inputs import GroupInputs, TargetIn, UnitIn
from bihuan_assessment.domain.rules import Group, SchemeRules
from bihuan_assessment.store.city import city_districts
from bihuan_assessment.store.city_snapshot import load_city_group
from bihuan_assessment.store.models import UnitFact
from bihuan_assessment.store.snapshot_rows import entered, fetch_targets, metrics_of
from bihuan_shared.clock import today as city_today


@asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only REPEATABLE READ transaction: every query in it sees the database as of its first query."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        async with conn.begin():
            yield conn


def judged_at(as_of: date, today: date | None = None) -> date:
    """Milestones are judged at the assessment's date, or today while the year is still running."""
    return min(as_of, today or city_today("assessment"))


async def load_group(engine: AsyncEngine, scope: str, year: int, as_of: date, rules: SchemeRules,
                     group: Group) -> GroupInputs:
    async with snapshot(engine) as conn:
        districts = await city_districts(conn, scope)
        if districts is not None:  # a city's scheme: its districts are the assessed units
            return await load_city_group(conn, scope, districts, year, judged_at(as_of), group)
        return await _load(conn, scope, year, judged_at(as_of), rules, group)


async def _load(conn: AsyncConnection, scope, year, as_of, rules, group) -> GroupInputs:
    units = [UnitIn(r.unit_code, r.name) for r in await conn.execute(
        select(UnitFact.unit_code, UnitFact.name, UnitFact.assessment_group)
        .where(UnitFact.scope == scope, UnitFact.active.is_(True),
               or_(UnitFact.assessment_group.in_(group.unit_groups or [""]), UnitFact.unit_code.in_(group.units or [""])))
        .order_by(UnitFact.unit_code))
        if (g := rules.group_of(r.unit_code, r.assessment_group)) is not None and g.key == group.key]
    codes = [u.code for u in units]
    inputs = GroupInputs(year=year, as_of=as_of, units=units)
    if not codes:
        return inputs
    inputs.targets = await _targets(conn, scope, year, codes)
    inputs.metrics = await metrics_of(conn, scope, year, codes)
    inputs.evaluations, inputs.entries = await entered(conn, scope, year, codes, [t.id for t in inputs.targets])
    return inputs


async def _targets(conn: AsyncConnection, scope: str, year: int, codes: list[str]) -> list[TargetIn]:
    return await fetch_targets(conn, "t.scope = $1 AND t.year = $2 AND NOT t.cancelled"
                               " AND (t.lead_unit = ANY($3::varchar[]) OR t.responsible_units && $3::varchar[])",
                               (scope, year, codes))

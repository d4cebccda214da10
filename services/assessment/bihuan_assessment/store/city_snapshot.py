"""One group of a city's scheme read from its districts' own data (in the caller's snapshot transaction): the
districts named in the group, their linked targets (市级交办, scope = the district, origin_target_id set) as the
district's targets, the city's statistics, evaluations and items entered per district, and each district's
supervision metrics added up over its units (domain/district_metrics.py)."""
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bihuan_assessment.domain.district_metrics import district_totals
from bihuan_assessment.domain.inputs import GroupInputs, MetricIn, UnitIn
from bihuan_assessment.domain.rules import Group
from bihuan_assessment.store.models import MetricFact
from bihuan_assessment.store.snapshot_rows import entered, fetch_targets, in_years, metrics_of


async def load_city_group(conn: AsyncConnection, city: str, districts: dict[str, str], year: int, as_of,
                          group: Group) -> GroupInputs:
    units = [UnitIn(code, districts[code]) for code in sorted(set(group.units)) if code in districts]
    codes = [u.code for u in units]
    inputs = GroupInputs(year=year, as_of=as_of, units=units)
    if not codes:
        return inputs
    # A linked target is credited to its district (the city assesses the district, whichever unit leads the work).
    inputs.targets = await fetch_targets(
        conn, "t.scope = ANY($1::varchar[]) AND t.year = $2 AND NOT t.cancelled AND t.origin_target_id IS NOT NULL",
        (codes, year), lead="t.scope", responsible="ARRAY[]::varchar[]")
    inputs.metrics = await metrics_of(conn, city, year, codes)  # statistics the city entered per district
    own = defaultdict(list)
    for r in await conn.execute(select(MetricFact).where(MetricFact.scope.in_(codes), MetricFact.source != "statistics",
                                                         in_years(year)).order_by(MetricFact.unit)):
        own[r.scope].append(MetricIn(r.unit, r.period, r.period_kind, r.source, r.metrics, r.origin))
    for code in codes:
        inputs.metrics += district_totals(code, own[code])
    inputs.evaluations, inputs.entries = await entered(conn, city, year, codes, [t.id for t in inputs.targets])
    return inputs

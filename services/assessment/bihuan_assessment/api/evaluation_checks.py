"""Whose score a caller may write, and which units can be scored: the checks of an evaluation batch (issue 12).

The evaluator is part of the upsert key, so taking it from the caller's body let anyone overwrite anyone's score.
A leader scores as itself (its token's user), a third-party agency as its unit (every staff token of the agency is
the same evaluator), and only the office (assessor, target office) enters paper ballots on behalf of a named one."""
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_assessment.domain.rules import SchemeRules
from bihuan_assessment.store.city import city_districts
from bihuan_assessment.store.models import Assessment, Scheme, UnitFact
from bihuan_shared.auth import Principal, Role

OFFICE = (Role.ASSESSOR, Role.TARGET_OFFICE)


def own_evaluator(principal: Principal, kind: str | None = None) -> str:
    """The evaluator a caller outside the office always is: a system's rating is its lead unit's, whichever of the
    unit's staff enters it, as a third-party survey is the agency's."""
    if principal.unit and (principal.has(Role.THIRD_PARTY) or kind == "system"):
        return principal.unit
    return principal.user


def evaluator_of(principal: Principal, named: str | None, kind: str | None = None) -> str | None:
    """The evaluator a row is stored under, or None when the caller may not write that evaluator's score."""
    if principal.has(*OFFICE):
        return named or principal.user
    own = own_evaluator(principal, kind)
    return own if named in (None, "", own) else None


async def year_rules(session: AsyncSession, scope: str, year: int, assessment: Assessment | None
                     ) -> SchemeRules | None:
    """The year's scheme rules: the opened one, else its latest draft; None before any scheme."""
    scheme_id = assessment.scheme_id if assessment is not None else await session.scalar(
        select(Scheme.id).where(Scheme.scope == scope, Scheme.year == year).order_by(Scheme.version.desc()).limit(1))
    if scheme_id is None:
        return None
    return SchemeRules.model_validate(await session.scalar(select(Scheme.rules).where(Scheme.id == scheme_id)))


async def scorable_units(session: AsyncSession, scope: str, rules: SchemeRules | None) -> set[str]:
    """Active directory units that a group of the year's scheme takes in; with no scheme yet, every active unit of
    the directory. In a city, its registered districts (those a group names, once there is a scheme)."""
    districts = await city_districts(session, scope)
    if districts is not None:
        return set(districts) if rules is None else {d for g in rules.groups for d in g.units if d in districts}
    units = (await session.execute(select(UnitFact.unit_code, UnitFact.assessment_group)
                                   .where(UnitFact.scope == scope, UnitFact.active.is_(True)))).all()
    if rules is None:
        return {code for code, _ in units}
    return {code for code, group in units if rules.group_of(code, group) is not None}

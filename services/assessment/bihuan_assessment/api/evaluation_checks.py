"""Whose score a caller may write, and which units can be scored: the checks of an evaluation batch (issue 12).

The evaluator is part of the upsert key, so taking it from the caller's body let anyone overwrite anyone's score.
A leader scores as itself (its token's user), a third-party agency as its unit (every staff token of the agency is
the same evaluator), and only the office (assessor, target office) enters paper ballots on behalf of a named one."""
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_assessment.domain.rules import SchemeRules
from bihuan_assessment.store.models import Assessment, Scheme, UnitFact
from bihuan_shared.auth import Principal, Role

OFFICE = (Role.ASSESSOR, Role.TARGET_OFFICE)


def own_evaluator(principal: Principal) -> str:
    """The evaluator a caller outside the office always is."""
    if principal.has(Role.THIRD_PARTY) and principal.unit:
        return principal.unit
    return principal.user


def evaluator_of(principal: Principal, named: str | None) -> str | None:
    """The evaluator a row is stored under, or None when the caller may not write that evaluator's score."""
    if principal.has(*OFFICE):
        return named or principal.user
    own = own_evaluator(principal)
    return own if named in (None, "", own) else None


async def scorable_units(session: AsyncSession, scope: str, year: int, assessment: Assessment | None) -> set[str]:
    """Active directory units that a group of the year's scheme takes in (the opened one, else its latest version);
    with no scheme yet, every active unit of the directory."""
    scheme_id = assessment.scheme_id if assessment is not None else await session.scalar(
        select(Scheme.id).where(Scheme.scope == scope, Scheme.year == year).order_by(Scheme.version.desc()).limit(1))
    units = (await session.execute(select(UnitFact.unit_code, UnitFact.assessment_group)
                                   .where(UnitFact.scope == scope, UnitFact.active.is_(True)))).all()
    if scheme_id is None:
        return {code for code, _ in units}
    rules = SchemeRules.model_validate(await session.scalar(select(Scheme.rules).where(Scheme.id == scheme_id)))
    return {code for code, group in units if rules.group_of(code, group) is not None}

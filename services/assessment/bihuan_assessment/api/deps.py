"""Who may do what in assessment, and loading the records routes act on."""
from typing import Annotated

from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_assessment.store.models import Assessment, Scheme
from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.errors import Conflict, NotFound

Assessor = Annotated[Principal, Depends(require_roles(Role.ASSESSOR))]
AssessorOrOffice = Annotated[Principal, Depends(require_roles(Role.ASSESSOR, Role.TARGET_OFFICE))]
Reader = Annotated[Principal, Depends(require_roles(Role.ASSESSOR, Role.TARGET_OFFICE, Role.LEADER,
                                                     Role.UNIT_REPORTER, Role.SUPERVISOR))]
# unit_reporter: a system's lead unit rating its system's units (api/system_lead.py); any other kind is refused
Evaluator = Annotated[Principal, Depends(require_roles(Role.ASSESSOR, Role.TARGET_OFFICE, Role.LEADER,
                                                        Role.THIRD_PARTY, Role.UNIT_REPORTER))]


async def get_scheme(session: AsyncSession, scheme_id: int, principal: Principal, lock: bool = False) -> Scheme:
    scheme = await session.get(Scheme, scheme_id, with_for_update=lock)
    if scheme is None:
        raise NotFound(f"考核办法 {scheme_id} 不存在", code="scheme_not_found")
    principal.require_scope(scheme.scope)
    return scheme


async def get_assessment(session: AsyncSession, assessment_id: int, principal: Principal,
                         lock: bool = False) -> Assessment:
    assessment = await session.get(Assessment, assessment_id, with_for_update=lock)
    if assessment is None:
        raise NotFound(f"考核 {assessment_id} 不存在", code="assessment_not_found")
    principal.require_scope(assessment.scope)
    return assessment


async def open_assessment(session: AsyncSession, scope: str, year: int) -> Assessment | None:
    """The year's assessment of a scope; refuses changes once it is published (results are frozen)."""
    assessment = await session.scalar(select(Assessment).where(Assessment.scope == scope, Assessment.year == year))
    if assessment is not None and assessment.status == "published":
        raise Conflict(f"{scope} {year}年考核结果已发布，不能再修改考核数据", code="assessment_published")
    return assessment

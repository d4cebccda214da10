"""GET /api/v1/audit in every service: the audit records of one scope, newest first, for those who answer for it.

The target office and the supervision office (督查室) of a district, and the assessment committee, read who did what
and when in that district, in every service, through the same route; a city's offices read their districts. Records
are filtered by the scope they were written in (bihuan_shared.audit), so a district never sees another's. Keyset
pagination (before_id) keeps a deep page as cheap as the first on a log of millions of rows.
"""
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from bihuan_shared.auth.deps import require_roles
from bihuan_shared.auth.principal import Principal, Role
from bihuan_shared.messaging.tables import audit_log
from bihuan_shared.web.deps import SessionDep

AUDIT_READERS = (Role.TARGET_OFFICE, Role.SUPERVISOR, Role.ASSESSOR)
Auditor = Annotated[Principal, Depends(require_roles(*AUDIT_READERS))]


class AuditRecord(BaseModel):
    id: int
    at: datetime
    actor: str
    role: str
    unit: str | None
    scope: str | None
    action: str
    entity_type: str
    entity_id: str
    before: Any = None
    after: Any = None
    note: str | None
    token_id: str | None
    correlation_id: str | None


class AuditPage(BaseModel):
    records: list[AuditRecord]
    # Pass as before_id for the next (older) page; None when this page is the last.
    next_before_id: int | None


def audit_router() -> APIRouter:
    router = APIRouter(prefix="/audit", tags=["audit"])

    @router.get("")
    async def audit_records(principal: Auditor, session: SessionDep, scope: str | None = None,
                            entity_type: Annotated[str | None, Query(max_length=100)] = None,
                            entity_id: Annotated[str | None, Query(max_length=200)] = None,
                            actor: Annotated[str | None, Query(max_length=200)] = None,
                            action: Annotated[str | None, Query(max_length=200, description="prefix, e.g. target.")]
                            = None,
                            before_id: Annotated[int | None, Query(ge=1)] = None,
                            limit: Annotated[int, Query(ge=1, le=500)] = 50) -> AuditPage:
        """Audit records of a scope (default: the caller's), newest first; filters combine."""
        scope = scope or principal.scope
        principal.require_read_scope(scope)
        q = select(audit_log).where(audit_log.c.scope == scope)
        for column, value in ((audit_log.c.entity_type, entity_type), (audit_log.c.entity_id, entity_id),
                              (audit_log.c.actor, actor)):
            if value:
                q = q.where(column == value)
        if action:
            q = q.where(audit_log.c.action.startswith(action, autoescape=True))
        if before_id:
            q = q.where(audit_log.c.id < before_id)
        rows = (await session.execute(q.order_by(audit_log.c.id.desc()).limit(limit + 1))).mappings().all()
        page = [AuditRecord.model_validate(dict(r)) for r in rows[:limit]]
        return AuditPage(records=page, next_before_id=page[-1].id if len(rows) > limit else None)

    return router

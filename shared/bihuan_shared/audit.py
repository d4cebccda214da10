"""Every write is attributable: who (user, role, unit), when, what, before and after, in the service's own database."""
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_shared.auth.principal import Principal
from bihuan_shared.logging import correlation_id
from bihuan_shared.messaging.tables import audit_log


async def record_audit(session: AsyncSession, principal: Principal, action: str, entity_type: str, entity_id: str,
                       *, before: Any = None, after: Any = None, note: str | None = None) -> None:
    await session.execute(
        insert(audit_log).values(
            actor=principal.user, role=",".join(sorted(principal.roles)), unit=principal.unit, action=action,
            entity_type=entity_type, entity_id=entity_id, before=before, after=after,
            correlation_id=correlation_id.get(), note=note,
        )
    )

"""Attaching uploaded evidence to a report or a contribution: each file once, only by the unit that uploaded it."""
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_execution.store.models import Evidence
from bihuan_shared.auth import Principal
from bihuan_shared.web.errors import Invalid


async def attach(session: AsyncSession, principal: Principal, evidence_ids: list[str], *,
                 report_id: str | None = None, contribution_id: str | None = None) -> list[Evidence]:
    if not evidence_ids:
        return []
    found = {e.id: e for e in await session.scalars(
        select(Evidence).where(Evidence.id.in_(evidence_ids)).with_for_update())}
    problems = []
    for index, evidence_id in enumerate(evidence_ids):
        e = found.get(evidence_id)
        if e is None or e.unit != principal.unit or not principal.reaches(e.scope):
            problems.append({"index": index, "field": "evidence_ids", "message": f"佐证材料 {evidence_id} 不存在或不属于本单位"})
        elif e.report_id or e.contribution_id:
            problems.append({"index": index, "field": "evidence_ids", "message": f"佐证材料 {evidence_id} 已用于其他报送"})
    if len(set(evidence_ids)) != len(evidence_ids):
        problems.append({"field": "evidence_ids", "message": "佐证材料重复"})
    if problems:
        raise Invalid("佐证材料无效", code="evidence_invalid", details=problems)
    for e in found.values():
        e.report_id, e.contribution_id = report_id, contribution_id
    return [found[i] for i in evidence_ids]

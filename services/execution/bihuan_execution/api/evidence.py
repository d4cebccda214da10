"""Evidence files (佐证材料): upload once (multipart), then name them in a progress report or a contribution."""
import asyncio
from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from bihuan_execution.api.access import require_reporter, settings_of
from bihuan_execution.api.schemas import EvidenceOut
from bihuan_execution.domain.evidence import content_matches
from bihuan_execution.evidence.backends import app_storage
from bihuan_execution.evidence.download import download_response
from bihuan_execution.evidence.storage import EvidenceStorage, Stored, TooBig
from bihuan_execution.settings import EVIDENCE_MULTIPART_OVERHEAD
from bihuan_execution.store.models import Contribution, Evidence, ProgressReport, TargetCopy
from bihuan_shared.audit import record_audit, record_read
from bihuan_shared.auth import CurrentPrincipal, Role
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Forbidden, Invalid, NotFound, TooLarge

router = APIRouter(tags=["evidence"])


def storage_of(request: Request) -> EvidenceStorage:
    return app_storage(request.app.state, settings_of(request))


@router.post("/evidence", status_code=201)
async def upload_evidence(file: UploadFile, request: Request, principal: CurrentPrincipal, session: SessionDep,
                          sha256: Annotated[str | None, Form(pattern="^[0-9a-fA-F]{64}$")] = None) -> EvidenceOut:
    """Upload one evidence file for the caller's unit (size and type limits apply; `sha256`, if sent, must be the
    file's); returns its id and sha256."""
    require_reporter(principal)
    settings = settings_of(request)
    limit = settings.evidence_max_bytes
    too_large = TooLarge(f"文件超过大小上限 {limit // 1024} KB", code="evidence_too_large",
                         details=[{"field": "file", "message": f"上限 {limit} 字节"}])
    if int(request.headers.get("content-length") or 0) > limit + EVIDENCE_MULTIPART_OVERHEAD:
        raise too_large
    content_type = (file.content_type or "").split(";")[0].strip().lower()
    if content_type not in settings.evidence_types:
        raise Invalid(f"不支持的文件类型 {content_type or '(未声明)'}", code="evidence_type_not_allowed",
                      details=[{"field": "file", "message": "允许: " + ", ".join(settings.evidence_types)}])

    def accept(received: Stored) -> None:  # before the store keeps it: a refused file leaves nothing behind
        if received.size == 0:
            raise Invalid("文件为空", code="evidence_empty", details=[{"field": "file", "message": "文件为空"}])
        if not content_matches(content_type, received.head):
            raise Invalid(f"文件内容与声明的类型 {content_type} 不符", code="evidence_type_mismatch",
                          details=[{"field": "file", "message": "文件内容与类型不符"}])
        if sha256 and received.sha256 != sha256.lower():
            raise Invalid("文件的 sha256 与声明的不符", code="evidence_hash_mismatch",
                          details=[{"field": "sha256", "message": f"文件的 sha256 为 {received.sha256}"}])

    try:
        stored = await asyncio.to_thread(storage_of(request).put, file.file, limit, accept)
    except TooBig:
        raise too_large from None
    filename = PurePath((file.filename or "evidence").replace("\\", "/")).name[:255] or "evidence"
    async with session.begin():
        evidence = Evidence(scope=principal.scope, unit=principal.unit, filename=filename,
                            content_type=content_type, size_bytes=stored.size, sha256=stored.sha256,
                            storage_key=stored.key, uploaded_by=principal.user)
        session.add(evidence)
        await session.flush()
        await session.refresh(evidence, ["uploaded_at"])
        await record_audit(session, principal, "evidence.uploaded", "evidence", evidence.id,
                           after={"filename": filename, "sha256": stored.sha256, "size": stored.size})
    return EvidenceOut.model_validate(evidence)


@router.get("/evidence/{evidence_id}")
async def download_evidence(evidence_id: str, request: Request, principal: CurrentPrincipal,
                            session: SessionDep) -> StreamingResponse:
    """The file itself, for its unit, the units owning the target it supports, and oversight roles."""
    evidence = await session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound(f"佐证材料 {evidence_id} 不存在", code="evidence_not_found")
    principal.require_scope(evidence.scope)
    if not (principal.has(Role.TARGET_OFFICE, Role.LEADER, Role.SUPERVISOR, Role.ASSESSOR)
            or principal.unit == evidence.unit or principal.unit in await _owner_units(session, evidence)):
        raise Forbidden("无权查看其他单位的佐证材料", code="unit_forbidden")
    await record_read(session, principal, "evidence.downloaded", "evidence", evidence.id, note=evidence.filename)
    download = await asyncio.to_thread(storage_of(request).open, evidence.storage_key)
    return download_response(download, evidence.content_type, evidence.filename)


async def _owner_units(session, evidence: Evidence) -> set[str]:
    target_id = None
    if evidence.report_id:
        target_id = await session.scalar(select(ProgressReport.target_id).where(ProgressReport.id == evidence.report_id))
    elif evidence.contribution_id:
        target_id = await session.scalar(select(Contribution.target_id).where(Contribution.id == evidence.contribution_id))
    target = await session.get(TargetCopy, target_id) if target_id else None
    return {target.lead_unit, *target.responsible_units} if target else set()

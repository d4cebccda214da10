"""Project proposals (项目计划书): uploaded while the target is a draft, downloadable by anyone in the scope."""

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from bihuan_planning.api.deps import Proposer, Reader, read_upload
from bihuan_planning.api.schemas import TargetOut
from bihuan_planning.api.targets import load
from bihuan_planning.domain.lifecycle import EDITABLE
from bihuan_planning.store.models import Document
from bihuan_planning.store.targets_repo import apply, history
from bihuan_shared.audit import record_audit, record_read
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, NotFound
from bihuan_shared.web.files import attachment

router = APIRouter(prefix="/targets", tags=["targets"])
MAX_PROPOSAL = 10 * 1024 * 1024


@router.post("/{target_id}/proposal", status_code=201)
async def upload_proposal(target_id: str, principal: Proposer, session: SessionDep,
                          file: UploadFile = File(...)) -> TargetOut:
    """Attach the project proposal document (target office, or the lead unit's reporter) to a draft."""
    data = await read_upload(file, MAX_PROPOSAL)
    async with session.begin():
        target = await load(session, target_id, for_update=True)
        principal.require_scope(target.scope)
        principal.require_unit(target.lead_unit)
        if target.status not in EDITABLE:
            raise Conflict("目标已提交或发布，项目计划书请通过动态调整更换", code="target_not_editable")
        doc = Document(target_id=target.id, filename=(file.filename or "proposal")[:300],
                       content_type=file.content_type or "application/octet-stream", size=len(data), data=data,
                       uploaded_by=principal.user)
        session.add(doc)
        await session.flush()
        changes = apply(target, {"proposal": {"document_id": doc.id, "filename": doc.filename}})
        session.add(history(target, "proposal_uploaded", principal.user, changes=changes))
        await record_audit(session, principal, "target.proposal_uploaded", "target", target.id,
                           after={"document_id": doc.id, "filename": doc.filename, "size": doc.size})
    return TargetOut.model_validate(target)


@router.get("/{target_id}/proposal")
async def download_proposal(target_id: str, principal: Reader, session: SessionDep) -> Response:
    """The uploaded project proposal of the target."""
    target = await load(session, target_id)
    principal.require_scope(target.scope)
    doc_id = (target.proposal or {}).get("document_id")
    doc = await session.scalar(select(Document).where(Document.id == doc_id)) if doc_id else None
    if doc is None:
        raise NotFound("该目标没有上传项目计划书", code="proposal_not_found")
    await record_read(session, principal, "target.proposal_downloaded", "target", target.id, note=doc.filename)
    return Response(doc.data, media_type=doc.content_type,
                    headers=attachment(doc.filename))

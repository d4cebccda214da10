"""What a supervision order is about, checked against supervision's read model before it is issued: the target,
milestone, important matter or hotline warning must exist in the caller's scope, and the leader in charge is found
from it (unless the office names one)."""
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_shared.web.errors import Invalid, NotFound
from bihuan_supervision.api.order_models import IssueIn
from bihuan_supervision.store.matter_tables import MatterView
from bihuan_supervision.store.models import MilestoneView, TargetView
from bihuan_supervision.store.warning_tables import Warning

HOTLINE_WARNINGS = ("hotline_spike", "hotline_topic_spike")
# the reference each kind of subject cannot do without, and what the error says is missing
REQUIRED = {"target": ("target_id", "督办目标须指明 target_id"), "milestone": ("milestone_id", "督办节点须指明 milestone_id"),
            "matter": ("matter_id", "督办重要事项须指明 matter_id"),
            "hotline_spike": ("warning_id", "督办热线激增须指明热线激增预警 warning_id")}


def _missing(field: str, message: str, code: str = "order_subject_missing") -> Invalid:
    return Invalid(message, code=code, details=[{"field": field, "message": message}])


async def resolve_subject(session: AsyncSession, scope: str, body: IssueIn) -> str | None:
    """Fill in the target the subject belongs to and answer the leader in charge; refuses a subject that is
    missing, unknown in the scope or of the wrong kind."""
    field, message = REQUIRED[body.subject_kind]
    if body.subject_kind == "target" and body.target_id is None and body.warning_id is not None:
        field = "warning_id"  # a target's warning names the target
    if getattr(body, field) is None:
        raise _missing(field, message)
    if body.matter_id is not None and body.subject_kind != "matter":
        raise _missing("matter_id", "仅督办重要事项时填写 matter_id", code="order_subject_conflict")
    leader = body.leader
    if body.milestone_id is not None:
        m = await session.get(MilestoneView, body.milestone_id)
        if m is None or (body.target_id and m.target_id != body.target_id):
            raise NotFound(f"节点 {body.milestone_id} 不存在", code="milestone_not_found")
        body.target_id = m.target_id
    if body.matter_id is not None:
        matter = await session.get(MatterView, body.matter_id)
        if matter is None or matter.scope != scope:
            raise NotFound(f"重要事项 {body.matter_id} 不存在", code="matter_not_found")
        body.target_id = body.target_id or matter.target_id
        leader = leader or matter.to_leader
    if body.warning_id is not None:
        w = await session.get(Warning, body.warning_id)
        if w is None or w.scope != scope:
            raise NotFound(f"预警 {body.warning_id} 不存在", code="warning_not_found")
        if body.subject_kind == "hotline_spike" and w.kind not in HOTLINE_WARNINGS:
            raise _missing("warning_id", f"预警 {w.id} 不是热线激增预警", code="order_subject_conflict")
        body.target_id = body.target_id or w.target_id
        leader = leader or w.leader
    if body.target_id:
        t = await session.get(TargetView, body.target_id)
        if t is None or t.scope != scope:
            raise NotFound(f"目标 {body.target_id} 不存在", code="target_not_found")
        leader = leader or t.leader
    elif body.subject_kind == "target":
        raise _missing("warning_id", f"预警 {body.warning_id} 不属于任何目标，请按热线激增督办")
    return leader

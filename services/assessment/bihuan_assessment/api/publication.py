"""Publishing an assessment freezes its results, records the accountability its rules call for and emits the events;
accountability by hand needs a basis."""
from datetime import UTC, datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from bihuan_assessment.api.assessments import results_run
from bihuan_assessment.api.deps import Assessor, Reader, get_assessment
from bihuan_assessment.store.models import AccountabilityRecord, Scheme, Scorecard
from bihuan_shared.audit import record_audit
from bihuan_shared.contracts.assessment import AccountabilityRecorded, PublishedScore, ResultsPublished
from bihuan_shared.events import new_event
from bihuan_shared.messaging.outbox import record_events
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict

router = APIRouter(prefix="/assessments", tags=["publication"])


@router.post("/{assessment_id}/publish")
async def publish(assessment_id: int, principal: Assessor, session: SessionDep) -> dict:
    """Freeze the latest finished run as the published results; rule-based accountability is recorded with it."""
    async with session.begin():
        a = await get_assessment(session, assessment_id, principal, lock=True)
        if a.status == "published":
            raise Conflict("考核结果已发布", code="already_published")
        run_no = await results_run(session, a)
        if run_no != a.last_run:
            raise Conflict(f"第{a.last_run}次计算尚未完成，请完成后再发布", code="run_in_progress")
        cards = (await session.scalars(select(Scorecard).where(Scorecard.assessment_id == a.id,
                                                               Scorecard.run_no == run_no))).all()
        scheme = await session.get(Scheme, a.scheme_id)
        now = datetime.now(UTC)
        a.status, a.published_run, a.published_at = "published", run_no, now
        records = [AccountabilityRecord(assessment_id=a.id, unit=c.unit, rule=p["rule"], measure=p["measure"],
                                        basis=p["basis"], target_ids=p["target_ids"], sources=[],
                                        created_by=principal.user)
                   for c in cards for p in c.card["proposals"]]
        session.add_all(records)
        await session.flush()
        events = [new_event(ResultsPublished(
            assessment_id=a.id, year=a.year, run_no=run_no, scheme_id=scheme.id, scheme_version=scheme.version,
            published_by=principal.user, published_at=now,
            scores=[PublishedScore(unit=c.unit, group_key=c.group_key, total=c.total, rank=c.rank, grade=c.grade,
                                   passed=c.passed, vetoed=c.vetoed, bottom=c.bottom) for c in cards]),
            scope=a.scope, aggregate_id=f"assessment-results-{a.id}", sequence=1)]
        events += [_recorded(a, r) for r in records]
        await record_events(session, events)
        await record_audit(session, principal, "assessment.published", "assessment", str(a.id),
                           after={"run_no": run_no, "accountability": [r.id for r in records]})
    return {"assessment_id": a.id, "run_no": run_no, "published_at": now, "accountability": len(records)}


def _recorded(a, r: AccountabilityRecord):
    return new_event(AccountabilityRecorded(record_id=r.id, assessment_id=a.id, year=a.year, unit=r.unit, rule=r.rule,
                                            measure=r.measure, basis=r.basis, target_ids=r.target_ids,
                                            recorded_by=r.created_by),
                     scope=a.scope, aggregate_id=f"accountability-{r.id}", sequence=1)


class ManualRecord(BaseModel):
    unit: str = Field(min_length=1, max_length=64)
    measure: str = Field(min_length=1, max_length=200)
    basis: str = Field(min_length=4, description="依据: facts and documents the decision rests on")
    target_ids: list[str] = []


@router.post("/{assessment_id}/accountability", status_code=status.HTTP_201_CREATED)
async def record_by_hand(assessment_id: int, body: ManualRecord, principal: Assessor, session: SessionDep) -> dict:
    """An accountability record decided by the committee, with its basis."""
    async with session.begin():
        a = await get_assessment(session, assessment_id, principal)
        r = AccountabilityRecord(assessment_id=a.id, rule="manual", sources=[], created_by=principal.user,
                                 **body.model_dump())
        session.add(r)
        await session.flush()
        await record_events(session, [_recorded(a, r)])
        await record_audit(session, principal, "accountability.recorded", "accountability", str(r.id),
                           after=body.model_dump())
    return _out(r)


@router.get("/{assessment_id}/accountability")
async def list_records(assessment_id: int, principal: Reader, session: SessionDep) -> list[dict]:
    """Accountability records of an assessment (a unit sees its own)."""
    a = await get_assessment(session, assessment_id, principal)
    q = select(AccountabilityRecord).where(AccountabilityRecord.assessment_id == a.id)
    if not principal.has(*_oversight()):
        q = q.where(AccountabilityRecord.unit == (principal.unit or ""))
    return [_out(r) for r in (await session.scalars(q.order_by(AccountabilityRecord.id))).all()]


def _oversight():
    from bihuan_shared.auth import Role
    return (Role.ASSESSOR, Role.TARGET_OFFICE, Role.LEADER, Role.SUPERVISOR)


def _out(r: AccountabilityRecord) -> dict:
    return {"id": r.id, "unit": r.unit, "rule": r.rule, "measure": r.measure, "basis": r.basis,
            "target_ids": r.target_ids, "created_by": r.created_by}

"""Versioned runs: requesting a recomputation (a run row plus one job event per group, in one transaction) and writing
a group's results exactly once, whichever worker gets there first."""
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_assessment.domain.card import Card
from bihuan_assessment.store.models import Assessment, AssessmentRun, RunGroup, Scorecard
from bihuan_shared.contracts.assessment import RecomputeRequested
from bihuan_shared.events import new_event
from bihuan_shared.messaging.outbox import record_events


async def request_run(session: AsyncSession, assessment: Assessment, rules: dict, requested_by: str) -> AssessmentRun:
    """Caller holds the assessment row locked (FOR UPDATE) so run numbers never collide."""
    assessment.last_run += 1
    run = AssessmentRun(assessment_id=assessment.id, run_no=assessment.last_run, rules=rules,
                        groups_total=len(rules["groups"]), groups_done=0, status="queued", requested_by=requested_by)
    session.add(run)
    await session.flush()
    await record_events(session, [
        new_event(RecomputeRequested(assessment_id=assessment.id, run_no=run.run_no, group_key=g["key"],
                                     year=assessment.year),
                  scope=assessment.scope, aggregate_id=f"assessment-{assessment.id}", sequence=run.run_no)
        for g in rules["groups"]])
    return run


async def write_group(session: AsyncSession, assessment_id: int, run_no: int, group_key: str, cards: list[Card],
                      worker: str) -> bool:
    """Returns False when this (run, group) was already written (a redelivered or duplicate job): nothing changes."""
    claimed = await session.scalar(
        pg_insert(RunGroup).values(assessment_id=assessment_id, run_no=run_no, group_key=group_key, worker=worker,
                                   units=len(cards))
        .on_conflict_do_nothing().returning(RunGroup.group_key))
    if claimed is None:
        return False
    if cards:
        await session.execute(insert(Scorecard), [
            {"assessment_id": assessment_id, "run_no": run_no, "unit": c.unit, "group_key": group_key, "total": c.total,
             "passed": c.passed, "vetoed": c.vetoed, "rank": c.rank, "grade": c.grade, "bottom": c.bottom,
             "card": c.as_dict()} for c in cards])
    done, total = (await session.execute(
        update(AssessmentRun).where(AssessmentRun.assessment_id == assessment_id, AssessmentRun.run_no == run_no)
        .values(groups_done=AssessmentRun.groups_done + 1)
        .returning(AssessmentRun.groups_done, AssessmentRun.groups_total))).one()
    if done >= total:
        await session.execute(
            update(AssessmentRun).where(AssessmentRun.assessment_id == assessment_id, AssessmentRun.run_no == run_no)
            .values(status="done", finished_at=func.now()))
    return True


async def latest_done_run(session: AsyncSession, assessment_id: int) -> int | None:
    return await session.scalar(select(func.max(AssessmentRun.run_no)).where(
        AssessmentRun.assessment_id == assessment_id, AssessmentRun.status == "done"))

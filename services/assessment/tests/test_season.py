"""Assessment season: two workers compete for recomputation jobs; every (run, group) is written exactly once, even
when a job is delivered twice or requested again, and every run yields the same scores from the same facts."""
from datetime import date

from sqlalchemy import text

from bihuan_assessment.worker import runtime
from bihuan_shared.bus.publisher import OutgoingEvent
from bihuan_shared.contracts.assessment import RecomputeRequested
from bihuan_shared.events import new_event
from bihuan_shared.testing.services import eventually, running_worker

GROUPS = 8


async def test_competing_workers_process_jobs_once(make_api, settings, publisher, db):
    api, feed = make_api("season")
    for g in range(GROUPS):
        for u in range(2):
            code = f"G{g}U{u}"
            await feed.unit(code, f"单位{code}", f"组{g}")
            await feed.target(f"T{code}", code, [date(2026, 3, 31)])
            await feed.done(f"T{code}", 1, "on_time" if u == 0 else "late")
    await api.applied(feed)
    assessment = await api.open_scheme({"groups": [
        {"key": f"g{g}", "name": f"组{g}", "unit_groups": [f"组{g}"],
         "components": [{"key": "c", "name": "目标完成", "kind": "target_completion", "weight": 100}]}
        for g in range(GROUPS)]})
    second = settings.model_copy(update={"worker_name": "worker-2"})
    async with running_worker(runtime(second)):
        runs = [(await api.post(f"/assessments/{assessment}/runs", {}, expect=202))["run_no"] for _ in range(3)]

        async def all_done():
            async with db.connect() as conn:
                done = await conn.scalar(text("select count(*) from assessment_runs where assessment_id = :a"
                                              " and status = 'done'"), {"a": assessment})
            assert done == 3
        await eventually(all_done, timeout=30)
        # The same job again: redelivered (same event id) and requested anew (new event id) -> nothing changes.
        job = new_event(RecomputeRequested(assessment_id=assessment, run_no=runs[0], group_key="g0", year=2026),
                        scope="season", aggregate_id=f"assessment-{assessment}", sequence=runs[0])
        again = new_event(RecomputeRequested(assessment_id=assessment, run_no=runs[0], group_key="g0", year=2026),
                          scope="season", aggregate_id=f"assessment-{assessment}", sequence=runs[0])
        for e in (job, job, again):
            await publisher.publish([OutgoingEvent.of(e)])

        async def consumed():
            async with db.connect() as conn:
                n = await conn.scalar(text("select count(*) from inbox where event_id in (:a, :b)"),
                                      {"a": job.event_id, "b": again.event_id})
            assert n == 2
        await eventually(consumed)

    async with db.connect() as conn:
        per_run = dict((await conn.execute(text(
            "select run_no, count(*) from scorecards where assessment_id = :a group by run_no"),
            {"a": assessment})).all())
        groups = (await conn.execute(text(
            "select run_no, groups_done, groups_total from assessment_runs where assessment_id = :a"),
            {"a": assessment})).all()
        workers = set((await conn.execute(text("select worker from run_groups where assessment_id = :a"),
                                          {"a": assessment})).scalars())
        totals = (await conn.execute(text(
            "select run_no, array_agg(total order by unit) from scorecards where assessment_id = :a group by run_no"),
            {"a": assessment})).all()
    assert per_run == {r: GROUPS * 2 for r in runs}
    assert all(done == total == GROUPS for _, done, total in groups)
    assert workers == {"worker-1", "worker-2"}   # both workers took jobs
    assert len({tuple(t) for _, t in totals}) == 1 and set(totals[0][1]) == {100.0, 60.0}

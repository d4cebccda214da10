"""The assessment work queue: each job recomputes one scheme group of one run. Any number of workers compete for
jobs; a job is idempotent (inbox + the (run, group) key), and reads its inputs as one consistent snapshot."""
import os
import socket

from bihuan_assessment.domain.rules import SchemeRules
from bihuan_assessment.domain.scoring import score_group
from bihuan_assessment.store.models import Assessment, AssessmentRun, RunGroup
from bihuan_assessment.store.runs import write_group
from bihuan_assessment.store.snapshot import load_group
from bihuan_shared.bus.consumer import HandlerContext, PermanentFailure
from bihuan_shared.bus.scope_guard import require_same_scope
from bihuan_shared.contracts.assessment import RecomputeRequested

WORKER = f"{socket.gethostname()}:{os.getpid()}"


async def on_recompute_requested(ctx: HandlerContext, event: RecomputeRequested) -> None:
    run = await ctx.session.get(AssessmentRun, (event.assessment_id, event.run_no))
    assessment = await ctx.session.get(Assessment, event.assessment_id)
    if run is None or assessment is None:
        raise PermanentFailure(f"run {event.assessment_id}/{event.run_no} does not exist")
    require_same_scope(ctx.envelope, assessment.scope, f"assessment {event.assessment_id}")
    rules = SchemeRules.model_validate(run.rules)
    group = rules.group(event.group_key)
    if group is None:
        raise PermanentFailure(f"group {event.group_key} not in run {event.assessment_id}/{event.run_no}")
    if await ctx.session.get(RunGroup, (event.assessment_id, event.run_no, event.group_key)) is not None:
        return  # another worker (or an earlier delivery) already wrote this group
    engine = ctx.session.bind
    inputs = await load_group(engine, assessment.scope, assessment.year, assessment.as_of, rules, group)
    await write_group(ctx.session, event.assessment_id, event.run_no, group.key, score_group(group, inputs),
                      ctx.resources["settings"].worker_name or WORKER)


HANDLERS = {"assessment.recompute.requested": on_recompute_requested}

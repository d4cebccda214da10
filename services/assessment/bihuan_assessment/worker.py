"""Assessment's worker: keeps the facts scores are computed from, and takes recomputation jobs from the work queue.
Run more copies in assessment season: jobs are shared among them (competing consumers, one job at a time each)."""
from bihuan_assessment.events import facts, inputs, jobs
from bihuan_assessment.settings import AssessmentSettings
from bihuan_shared.logging import configure_logging
from bihuan_shared.scopes import SCOPE_HANDLERS
from bihuan_shared.worker import ConsumerSpec, WorkerRuntime, run_forever


def runtime(settings: AssessmentSettings) -> WorkerRuntime:
    return WorkerRuntime(settings, consumers=[
        ConsumerSpec("facts", {**facts.HANDLERS, **inputs.HANDLERS, **SCOPE_HANDLERS}),
        ConsumerSpec("jobs", jobs.HANDLERS, prefetch=1)])


if __name__ == "__main__":
    s = AssessmentSettings()
    configure_logging(s.service_name, s.log_level, s.log_json)
    run_forever(runtime(s))

"""Assessment's worker: keeps the facts scores are computed from. Run more copies in assessment season."""
from bihuan_assessment.events.facts import HANDLERS
from bihuan_assessment.settings import AssessmentSettings
from bihuan_shared.logging import configure_logging
from bihuan_shared.worker import ConsumerSpec, WorkerRuntime, run_forever


def runtime(settings: AssessmentSettings) -> WorkerRuntime:
    return WorkerRuntime(settings, consumers=[ConsumerSpec("facts", HANDLERS)])


if __name__ == "__main__":
    s = AssessmentSettings()
    configure_logging(s.service_name, s.log_level, s.log_json)
    run_forever(runtime(s))

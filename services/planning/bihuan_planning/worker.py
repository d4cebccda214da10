"""Planning's worker: the outbox relay (planning consumes no other service's events yet)."""
from bihuan_planning.settings import PlanningSettings
from bihuan_shared.logging import configure_logging
from bihuan_shared.worker import WorkerRuntime, run_forever


def runtime(settings: PlanningSettings) -> WorkerRuntime:
    return WorkerRuntime(settings, consumers=[])


if __name__ == "__main__":
    s = PlanningSettings()
    configure_logging(s.service_name, s.log_level, s.log_json)
    run_forever(runtime(s))

"""Execution's worker: keeps its copy of the target book from planning's events, runs the overdue clock, and relays
its own outbox."""
from bihuan_execution.events.targets import HANDLERS
from bihuan_execution.settings import ExecutionSettings
from bihuan_execution.tasks.overdue_clock import overdue_clock
from bihuan_shared.logging import configure_logging
from bihuan_shared.scopes import SCOPE_HANDLERS
from bihuan_shared.worker import ConsumerSpec, WorkerRuntime, run_forever


def runtime(settings: ExecutionSettings) -> WorkerRuntime:
    return WorkerRuntime(settings, consumers=[ConsumerSpec("targets", {**HANDLERS, **SCOPE_HANDLERS})],
                         background=[overdue_clock])


if __name__ == "__main__":
    s = ExecutionSettings()
    configure_logging(s.service_name, s.log_level, s.log_json)
    run_forever(runtime(s))

"""Supervision's worker: builds its read model of every target and milestone from planning's and execution's events."""
from bihuan_supervision.events.read_model import HANDLERS
from bihuan_supervision.settings import SupervisionSettings
from bihuan_shared.logging import configure_logging
from bihuan_shared.worker import ConsumerSpec, WorkerRuntime, run_forever


def runtime(settings: SupervisionSettings) -> WorkerRuntime:
    return WorkerRuntime(settings, consumers=[ConsumerSpec("read_model", HANDLERS)])


if __name__ == "__main__":
    s = SupervisionSettings()
    configure_logging(s.service_name, s.log_level, s.log_json)
    run_forever(runtime(s))

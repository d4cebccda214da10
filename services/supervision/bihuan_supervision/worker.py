"""Supervision's worker: the read model of targets, milestones and important matters from planning's and execution's
events, the 12345 hotline queue, the clock (due-soon warnings, overdue orders, late metric data) and the outgoing
webhook's deliveries."""
from bihuan_supervision.events.clock import (clock_task, close_ended_periods, escalate_orders,
                                            refresh_live_dashboards, republish_late_metrics, warn_on_spikes,
                                            warn_on_time)
from bihuan_supervision.events.hotline_feed import hotline_feed_task
from bihuan_supervision.events.matters import HANDLERS as MATTER_HANDLERS
from bihuan_supervision.events.read_model import HANDLERS
from bihuan_supervision.events.webhooks import purge_old_deliveries, webhook_task
from bihuan_supervision.settings import SupervisionSettings
from bihuan_shared.logging import configure_logging
from bihuan_shared.scopes import SCOPE_HANDLERS
from bihuan_shared.worker import ConsumerSpec, WorkerRuntime, run_forever


def runtime(settings: SupervisionSettings) -> WorkerRuntime:
    return WorkerRuntime(settings, consumers=[
        ConsumerSpec("read_model", {**HANDLERS, **MATTER_HANDLERS, **SCOPE_HANDLERS})],
                         background=[hotline_feed_task(), clock_task([
                             close_ended_periods, republish_late_metrics, warn_on_time, warn_on_spikes,
                             escalate_orders, refresh_live_dashboards, purge_old_deliveries]), webhook_task()])


if __name__ == "__main__":
    s = SupervisionSettings()
    configure_logging(s.service_name, s.log_level, s.log_json)
    run_forever(runtime(s))

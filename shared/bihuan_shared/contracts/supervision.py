"""Facts supervision publishes (warnings, orders, objective metrics). Extended by the supervision issue."""
from typing import Literal

from pydantic import BaseModel

from bihuan_shared.events import event_contract

PeriodKind = Literal["month", "quarter", "year"]
MetricSource = Literal["hotline", "service_window", "three_centers"]


@event_contract("supervision.unit_metrics.published", 1, producer="supervision")
class UnitMetricsPublished(BaseModel):
    """Objective metrics of one unit for one closed period and source. Published when the period closes, and again
    with a higher revision when late data changes a closed period; consumers keep the highest revision."""

    unit: str
    period: str  # "2026-03", "2026-Q1" or "2026"
    period_kind: PeriodKind
    source: MetricSource
    revision: int
    # rates in 0..1 (on_time_sign_in_rate, on_time_close_rate, resolution_rate, satisfaction_rate,
    # repeat_call_rate, timeliness_rate ...) and counts (orders, bad_reviews ...)
    metrics: dict[str, float]
    counts: dict[str, int] = {}

"""Facts supervision publishes (warnings, orders, objective metrics). Extended by the supervision issue."""
from datetime import date, datetime
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


WarningKind = Literal["due_soon", "overdue", "behind_trajectory", "repeated_lags", "hotline_spike",
                      "hotline_topic_spike"]
WarningLevel = Literal["yellow", "red"]


@event_contract("supervision.warning.raised", 1, producer="supervision")
class WarningRaised(BaseModel):
    """A warning (预警) was raised: yellow before a milestone is missed or when a target drifts, red after."""

    warning_id: int
    kind: WarningKind
    level: WarningLevel
    subject: str  # milestone id, target id, unit (hotline spike) or "<target id>:<category>" (topic spike)
    target_id: str | None = None
    milestone_id: str | None = None
    unit: str | None = None
    leader: str | None = None
    message: str
    raised_at: datetime


@event_contract("supervision.warning.cleared", 1, producer="supervision")
class WarningCleared(BaseModel):
    """A warning's condition no longer holds (progress reported, milestone completed, spike over, target cancelled)."""

    warning_id: int
    kind: WarningKind
    subject: str
    target_id: str | None = None
    unit: str | None = None
    leader: str | None = None
    reason: str
    cleared_at: datetime


OrderSubject = Literal["target", "milestone", "matter", "hotline_spike"]


@event_contract("supervision.order.issued", 1, producer="supervision")
class SupervisionOrderIssued(BaseModel):
    """A supervision order (督办单) was issued to a unit, with a reply deadline."""

    order_id: str
    unit: str
    leader: str | None = None
    subject_kind: OrderSubject
    target_id: str | None = None
    milestone_id: str | None = None
    warning_id: int | None = None
    matter_id: str | None = None  # an order about an important matter (重要事项) names it (added in a compatible way)
    title: str
    reply_by: date
    issued_by: str
    issued_at: datetime


@event_contract("supervision.order.replied", 1, producer="supervision")
class SupervisionOrderReplied(BaseModel):
    """The unit replied to a supervision order with its progress and evidence."""

    order_id: str
    unit: str
    progress: str
    evidence: list[str] = []
    replied_by: str
    replied_at: datetime
    on_time: bool


@event_contract("supervision.order.accepted", 1, producer="supervision")
class SupervisionOrderAccepted(BaseModel):
    """The supervisor accepted the unit's reply; the order is closed."""

    order_id: str
    unit: str
    accepted_by: str
    accepted_at: datetime
    replied_on_time: bool
    escalated: bool


@event_contract("supervision.order.sent_back", 1, producer="supervision")
class SupervisionOrderSentBack(BaseModel):
    """The supervisor sent the reply back; the unit must reply again by the (possibly new) deadline."""

    order_id: str
    unit: str
    reason: str
    reply_by: date
    sent_back_by: str
    sent_back_at: datetime


@event_contract("supervision.order.escalated", 1, producer="supervision")
class SupervisionOrderEscalated(BaseModel):
    """An order passed its reply deadline unanswered; it now sits with the leader in charge."""

    order_id: str
    unit: str
    leader: str | None = None
    reply_by: date
    escalated_at: datetime

"""Facts execution publishes: progress against milestones and their completion."""
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from bihuan_shared.events import event_contract

Timeliness = Literal["early", "on_time", "late"]


@event_contract("execution.progress.reported", 1, producer="execution")
class ProgressReported(BaseModel):
    """A unit reported progress on a milestone of a target."""

    report_id: str
    target_id: str
    milestone_id: str
    unit: str
    actual_value: float | None = None
    deliverable_done: bool | None = None
    narrative: str = ""
    reported_by: str
    reported_at: datetime


@event_contract("execution.milestone.completed", 1, producer="execution")
class MilestoneCompleted(BaseModel):
    """A milestone was completed, early, on time or late."""

    target_id: str
    milestone_id: str
    unit: str
    due_date: date
    completed_on: date
    timeliness: Timeliness
    report_id: str


@event_contract("execution.milestone.overdue", 1, producer="execution")
class MilestoneOverdue(BaseModel):
    """A milestone's due date passed without completion."""

    target_id: str
    milestone_id: str
    unit: str
    due_date: date


@event_contract("execution.lag.explained", 1, producer="execution")
class LagExplained(BaseModel):
    """A unit explained why a milestone is overdue or at risk (滞后原因)."""

    lag_id: str
    target_id: str
    milestone_id: str
    unit: str
    reason_kind: Literal["objective", "subjective"]
    reason_category: str  # policy_change, external_approval, funding, weather, other, subjective
    explanation: str
    recovery_plan: str = ""
    new_expected_date: date | None = None
    explained_by: str
    explained_at: datetime


@event_contract("execution.cooperation.rated", 1, producer="execution")
class CooperationRated(BaseModel):
    """A lead unit rated a cooperating unit's contribution (牵头单位对配合单位拥有考核权)."""

    request_id: str
    target_id: str
    lead_unit: str
    cooperating_unit: str
    rating: float  # 0..100
    comment: str = ""
    rated_by: str
    rated_at: datetime


@event_contract("execution.matter.raised", 1, producer="execution")
class MatterRaised(BaseModel):
    """A unit raised an important matter (重要事项报告) to its leader or to other units."""

    matter_id: str
    target_id: str | None = None
    milestone_id: str | None = None
    unit: str
    title: str
    to_leader: str | None = None
    to_units: list[str] = []
    raised_by: str
    raised_at: datetime


@event_contract("execution.matter.answered", 1, producer="execution")
class MatterAnswered(BaseModel):
    """A leader or an addressed unit answered an important matter; it is closed."""

    matter_id: str
    target_id: str | None = None
    unit: str
    answer: str
    answered_by: str
    answered_by_unit: str | None = None
    answered_at: datetime


@event_contract("execution.cooperation.requested", 1, producer="execution")
class CooperationRequested(BaseModel):
    """A lead unit asked a cooperating unit for a contribution to a target."""

    request_id: str
    target_id: str
    milestone_id: str | None = None
    lead_unit: str
    cooperating_unit: str
    description: str
    due_date: date | None = None
    requested_by: str
    requested_at: datetime


@event_contract("execution.cooperation.confirmed", 1, producer="execution")
class CooperationConfirmed(BaseModel):
    """A cooperating unit accepted a lead unit's request."""

    request_id: str
    target_id: str
    lead_unit: str
    cooperating_unit: str
    confirmed_by: str
    confirmed_at: datetime


@event_contract("execution.cooperation.delivered", 1, producer="execution")
class CooperationDelivered(BaseModel):
    """A cooperating unit delivered its contribution to the lead unit."""

    request_id: str
    target_id: str
    lead_unit: str
    cooperating_unit: str
    contribution_id: str
    delivered_at: datetime
    on_time: bool | None = None  # against the request's due date, when it had one

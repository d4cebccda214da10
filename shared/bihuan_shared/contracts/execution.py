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

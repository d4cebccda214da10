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

"""Request and response models of progress, evidence and contributions."""
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actual_value: float | None = Field(default=None, description="cumulative actual value (quantitative targets)")
    deliverable_done: bool | None = Field(default=None, description="deliverable finished (qualitative targets)")
    narrative: str = Field(default="", max_length=10000)
    reported_on: date | None = Field(default=None, description="date the work was done, for backfill (补录); "
                                     "defaults to today, never in the future")
    evidence_ids: list[str] = Field(default=[], max_length=20, description="evidence uploaded with POST /evidence")
    corrects_report_id: str | None = Field(default=None, description="the earlier report this one corrects")

    @model_validator(mode="after")
    def one_measure(self) -> "ProgressIn":
        if self.actual_value is None and self.deliverable_done is None:
            raise ValueError("actual_value 或 deliverable_done 必须填写其一")
        return self


class EvidenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    unit: str
    uploaded_by: str
    uploaded_at: datetime


class ProgressOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    target_id: str
    milestone_id: str
    unit: str
    actual_value: float | None
    deliverable_done: bool | None
    narrative: str
    reported_by: str
    reported_on: date
    reported_at: datetime
    milestone_status: str
    corrects_report_id: str | None = None
    evidence: list[EvidenceOut] = []


class ContributionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    milestone_id: str | None = None
    request_id: str | None = Field(default=None, description="the cooperation request this delivers")
    value: float | None = Field(default=None, description="the cooperating unit's own share, if quantified")
    narrative: str = Field(min_length=1, max_length=10000)
    evidence_ids: list[str] = Field(default=[], max_length=20)


class ContributionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    target_id: str
    milestone_id: str | None
    unit: str
    lead_unit: str
    request_id: str | None
    value: float | None
    narrative: str
    reported_by: str
    reported_at: datetime
    evidence: list[EvidenceOut] = []


class MilestoneView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    seq: int
    due_date: date
    expected_value: float | None
    deliverable: str | None
    status: str
    completed_on: date | None
    latest_value: float | None
    withdrawn: bool = False


class TargetView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    scope: str
    code: str
    title: str
    lead_unit: str
    responsible_units: list[str]
    cooperating_units: list[str]
    version: int
    cancelled: bool
    milestones: list[MilestoneView]


class MilestoneHistory(BaseModel):
    """Everything reported on a milestone, newest first: corrections stand beside what they correct."""

    milestone: MilestoneView
    reports: list[ProgressOut]
    contributions: list[ContributionOut]

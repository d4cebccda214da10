"""Request and response models of planning's HTTP API."""
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bihuan_shared.contracts.planning import Category, Indicator


class MilestoneIn(BaseModel):
    due_date: date
    expected_value: float | None = None
    deliverable: str | None = Field(default=None, max_length=2000)


class TargetDraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: str = Field(min_length=1, max_length=64)
    year: int = Field(ge=2000, le=2100)
    code: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=500)
    content: str = Field(default="", max_length=10000)
    work_measures: str = Field(default="", max_length=10000)
    area: str | None = Field(default=None, max_length=200)
    parent_id: str | None = Field(default=None, max_length=32)
    category: Category
    source: str | None = Field(default=None, max_length=64)
    lead_unit: str = Field(min_length=1, max_length=64)
    responsible_units: list[str] = Field(default_factory=list, max_length=200)
    cooperating_units: list[str] = Field(default_factory=list, max_length=200)
    leader: str | None = Field(default=None, max_length=64)
    weight: float = Field(default=1.0, ge=0, le=1000)
    indicator: Indicator
    milestones: list[MilestoneIn] = Field(min_length=1, max_length=366)
    proposal_reference: str | None = Field(default=None, max_length=500, description="项目计划书 document number or link")


NULLABLE_CHANGES = frozenset({"leader", "area", "source", "proposal_reference"})


class TargetChangesIn(BaseModel):
    """Fields to change on a draft (PATCH) or, through an approved adjustment, on a published target."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=500)
    content: str | None = Field(default=None, max_length=10000)
    work_measures: str | None = Field(default=None, max_length=10000)
    area: str | None = Field(default=None, max_length=200)
    category: Category | None = None
    source: str | None = Field(default=None, max_length=64)
    lead_unit: str | None = Field(default=None, min_length=1, max_length=64)
    responsible_units: list[str] | None = Field(default=None, max_length=200)
    cooperating_units: list[str] | None = Field(default=None, max_length=200)
    leader: str | None = Field(default=None, max_length=64)
    weight: float | None = Field(default=None, ge=0, le=1000)
    indicator: Indicator | None = None
    milestones: list[MilestoneIn] | None = Field(default=None, min_length=1, max_length=366)
    proposal_reference: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def no_nulls(self):
        # Only leader, area, source and the proposal may be cleared; the rest must stay filled.
        cleared = [f for f in self.model_fields_set if getattr(self, f) is None and f not in NULLABLE_CHANGES]
        if cleared:
            raise ValueError(f"以下字段不能清空：{', '.join(sorted(cleared))}")
        return self

    def values(self) -> dict:
        """Only the fields the caller sent, JSON-ready, proposal reference folded into `proposal`."""
        out = self.model_dump(mode="json", exclude_unset=True)
        if "proposal_reference" in out:
            ref = out.pop("proposal_reference")
            out["proposal"] = {"reference": ref} if ref else None
        return out


class MilestoneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    seq: int
    due_date: date
    expected_value: float | None
    deliverable: str | None


class TargetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    scope: str
    year: int
    book_id: str
    code: str
    title: str
    content: str
    work_measures: str
    area: str | None
    parent_id: str | None
    category: str
    source: str | None
    lead_unit: str
    responsible_units: list[str]
    cooperating_units: list[str]
    leader: str | None
    weight: float
    indicator: dict
    proposal: dict | None
    status: str
    version: int
    created_by: str
    created_at: datetime
    milestones: list[MilestoneOut]
    origin_target_id: str | None = None
    assignments: list["AssignmentOut"] = []


class ShareIn(BaseModel):
    """One district's share of a city task; milestones omitted: the city task's dates, values scaled to the share."""

    model_config = ConfigDict(extra="forbid")

    district: str = Field(min_length=1, max_length=64)
    share_value: float | None = Field(default=None, allow_inf_nan=False)
    deliverable: str | None = Field(default=None, max_length=2000)
    milestones: list[MilestoneIn] | None = Field(default=None, min_length=1, max_length=366)


class AssignmentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignments: list[ShareIn] = Field(max_length=200)


class AssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    district: str
    share_value: float | None
    deliverable: str | None
    milestones: list[dict]
    district_target_id: str | None


TargetOut.model_rebuild()  # its assignments are declared above it by name


class TransitionIn(BaseModel):
    comment: str | None = Field(default=None, max_length=2000)


class TargetPage(BaseModel):
    items: list[TargetOut]
    total: int
    page: int
    size: int


class HistoryEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    action: str
    actor: str
    at: datetime
    reason: str | None
    changes: list[dict]
    adjustment_id: str | None

"""Request and response models of planning's HTTP API."""
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

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
    area: str | None = Field(default=None, max_length=200)
    parent_id: str | None = None
    category: Category
    source: str | None = Field(default=None, max_length=64)
    lead_unit: str = Field(min_length=1, max_length=64)
    responsible_units: list[str] = Field(default_factory=list, max_length=200)
    cooperating_units: list[str] = Field(default_factory=list, max_length=200)
    leader: str | None = Field(default=None, max_length=64)
    weight: float = Field(default=1.0, ge=0, le=1000)
    indicator: Indicator
    milestones: list[MilestoneIn] = Field(min_length=1, max_length=366)


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
    area: str | None
    category: str
    source: str | None
    lead_unit: str
    responsible_units: list[str]
    cooperating_units: list[str]
    leader: str | None
    weight: float
    indicator: dict
    status: str
    version: int
    created_by: str
    created_at: datetime
    milestones: list[MilestoneOut]


class TransitionIn(BaseModel):
    comment: str | None = Field(default=None, max_length=2000)


class TargetPage(BaseModel):
    items: list[TargetOut]
    total: int
    page: int
    size: int

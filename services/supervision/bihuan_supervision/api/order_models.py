"""Requests and answers of the supervision order routes."""
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class IssueIn(BaseModel):
    unit: str = Field(min_length=1, max_length=64)
    subject_kind: Literal["target", "milestone", "matter", "hotline_spike"]
    target_id: str | None = None
    milestone_id: str | None = None
    warning_id: int | None = None
    leader: str | None = Field(None, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    requirement: str = Field(min_length=1, max_length=4000)
    reply_by: date


class ReplyIn(BaseModel):
    progress: str = Field(min_length=1, max_length=4000)
    evidence: list[str] = Field(default_factory=list, max_length=50)


class ReviewIn(BaseModel):
    note: str = Field("", max_length=2000)
    reply_by: date | None = None  # a new deadline when sending back


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    actor: str
    at: datetime
    note: str
    progress: str | None
    evidence: list


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    unit: str
    leader: str | None
    subject_kind: str
    target_id: str | None
    milestone_id: str | None
    warning_id: int | None
    title: str
    requirement: str
    reply_by: date
    status: str
    escalated: bool
    issued_by: str
    issued_at: datetime
    trail: list[StepOut]

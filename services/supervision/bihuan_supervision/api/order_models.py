"""Requests and answers of the supervision order routes."""
import re
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Evidence lives in execution (POST /api/v1/evidence answers a 32-hex id, readable there by the unit and the
# oversight roles); a reply names those ids, or links to material published elsewhere.
EVIDENCE_ID = re.compile(r"[0-9a-f]{32}")
EVIDENCE_LINK = re.compile(r"https?://[^\s]{1,490}")


class IssueIn(BaseModel):
    unit: str = Field(min_length=1, max_length=64)
    subject_kind: Literal["target", "milestone", "matter", "hotline_spike"]
    target_id: str | None = Field(None, max_length=32)
    milestone_id: str | None = Field(None, max_length=32)
    matter_id: str | None = Field(None, max_length=32)
    warning_id: int | None = Field(None, ge=1, le=2**31 - 1)
    leader: str | None = Field(None, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    requirement: str = Field(min_length=1, max_length=4000)
    reply_by: date


class ReplyIn(BaseModel):
    progress: str = Field(min_length=1, max_length=4000)
    evidence: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("evidence")
    @classmethod
    def _evidence_refs(cls, refs: list[str]) -> list[str]:
        for i, ref in enumerate(refs):
            if not (EVIDENCE_ID.fullmatch(ref) or EVIDENCE_LINK.fullmatch(ref)):
                raise ValueError(f"evidence 第 {i + 1} 项须为已上传佐证材料的编号（32 位）或 http(s) 链接")
        return list(dict.fromkeys(refs))


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
    matter_id: str | None
    warning_id: int | None
    title: str
    requirement: str
    reply_by: date
    status: str
    escalated: bool
    issued_by: str
    issued_at: datetime
    trail: list[StepOut]

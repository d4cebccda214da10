"""Request and response models of adjustments (动态调整)."""
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bihuan_planning.api.schemas import TargetChangesIn, TargetDraftIn


class AdjustmentIn(BaseModel):
    """Change or cancel a published target."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["change", "cancel"]
    reason: str = Field(min_length=2, max_length=2000)
    changes: TargetChangesIn | None = None

    @model_validator(mode="after")
    def changes_for_change(self):
        if self.kind == "change" and not (self.changes and self.changes.values()):
            raise ValueError("调整申请 kind=change 必须给出要修改的字段 (changes)")
        return self


class AdditionIn(BaseModel):
    """Add a target to a published book mid-year."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=2000)
    target: TargetDraftIn


class DecisionIn(BaseModel):
    comment: str | None = Field(default=None, max_length=2000)


class AdjustmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    scope: str
    year: int
    kind: str
    target_id: str | None
    reason: str
    proposal: dict
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_comment: str | None
    resulting_version: int | None

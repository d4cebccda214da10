"""Directory records (scopes, units, leaders) as the API and the spreadsheets take and give them."""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bihuan_shared.contracts.planning import UnitKind

CODE = r"^[A-Za-z0-9_.\-]+$"


class ScopeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["city", "district"] = "district"
    parent: str | None = Field(default=None, max_length=64)


class ScopeOut(ScopeIn):
    model_config = ConfigDict(from_attributes=True)

    code: str


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: UnitKind
    parent: str | None = Field(default=None, max_length=64)
    assessment_group: str | None = Field(default=None, max_length=100)
    active: bool = True


class UnitOut(UnitIn):
    model_config = ConfigDict(from_attributes=True)

    scope: str
    code: str
    leaders: list[str] = []


class LeaderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    title: str | None = Field(default=None, max_length=200)
    units: list[str] = Field(default_factory=list, max_length=500)
    active: bool = True


class LeaderOut(LeaderIn):
    model_config = ConfigDict(from_attributes=True)

    scope: str
    code: str


class LeaderInCharge(LeaderOut):
    targets: list[dict] = []


class DirectoryImportResult(BaseModel):
    dry_run: bool
    ok: bool
    units: int
    leaders: int
    registered: int = 0
    updated: int = 0
    problems: list[dict] = []

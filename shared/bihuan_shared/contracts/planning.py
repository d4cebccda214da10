"""Facts planning publishes: the target book and its directory. Milestones travel with their target."""
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from bihuan_shared.events import event_contract

Category = Literal["key_work", "special_work", "major_project", "public_service", "unit_work"]
Direction = Literal["up", "down"]


class Indicator(BaseModel):
    kind: Literal["quantitative", "qualitative"]
    unit_of_measure: str | None = None
    baseline: float | None = None
    target_value: float | None = None
    direction: Direction = "up"
    cumulative: bool = True


class MilestoneSnapshot(BaseModel):
    milestone_id: str
    seq: int = Field(ge=1)
    due_date: date
    expected_value: float | None = None
    deliverable: str | None = None


class AssignmentSnapshot(BaseModel):
    """A city task's share for one district (市级交办): the quantity or deliverable the district owes."""

    district: str
    share_value: float | None = None
    deliverable: str | None = None


class TargetSnapshot(BaseModel):
    """Everything a consumer needs to keep its own copy of a target at one version."""

    target_id: str
    book_id: str
    year: int
    version: int = Field(ge=1)
    code: str
    title: str
    content: str = ""
    work_measures: str = ""
    area: str | None = None
    parent_id: str | None = None
    category: Category
    source: str | None = None
    lead_unit: str
    responsible_units: list[str] = []
    cooperating_units: list[str] = []
    leader: str | None = None
    weight: float = 1.0
    indicator: Indicator
    milestones: list[MilestoneSnapshot]
    proposal: dict | None = None
    # City tier (optional, so older producers' events still read): a city task lists the districts it is decomposed
    # to; a district's linked target names the city task it came from.
    assignments: list[AssignmentSnapshot] = []
    origin_target_id: str | None = None


@event_contract("planning.target.published", 1, producer="planning")
class TargetPublished(TargetSnapshot):
    """A target (with its milestones) was published in its target book."""


@event_contract("planning.target.adjusted", 1, producer="planning")
class TargetAdjusted(TargetSnapshot):
    """An approved adjustment (动态调整) produced a new version of a published target."""

    adjustment_id: str
    reason: str


@event_contract("planning.target.cancelled", 1, producer="planning")
class TargetCancelled(BaseModel):
    """An approved adjustment cancelled a published target."""

    target_id: str
    version: int
    adjustment_id: str
    reason: str


UnitKind = Literal["line_department", "territorial", "provincial_or_enterprise", "leader_office"]


class UnitSnapshot(BaseModel):
    """A unit (单位) of the directory, as other services keep it."""

    unit_code: str
    name: str
    kind: UnitKind
    parent: str | None = None
    assessment_group: str | None = None
    leaders: list[str] = []
    active: bool = True


@event_contract("planning.unit.registered", 1, producer="planning")
class UnitRegistered(UnitSnapshot):
    """A unit was added to the directory of a scope."""


@event_contract("planning.unit.updated", 1, producer="planning")
class UnitUpdated(UnitSnapshot):
    """A unit's name, kind, parent, assessment group, leaders or activity changed."""


class ScopeSnapshot(BaseModel):
    """A city or a district, and the city it belongs to. Consumers keep the tree to know a city's districts."""

    code: str
    name: str
    kind: Literal["city", "district"]
    parent: str | None = None


@event_contract("planning.scope.registered", 1, producer="planning")
class ScopeRegistered(ScopeSnapshot):
    """A city registered itself, a city registered a district under it, or a district registered itself."""


@event_contract("planning.scope.updated", 1, producer="planning")
class ScopeUpdated(ScopeSnapshot):
    """A scope's name changed (its kind and its city are fixed at registration)."""


class LeaderSnapshot(BaseModel):
    """A leader in charge (分管领导) and the units in charge."""

    leader_code: str
    name: str
    title: str | None = None
    units: list[str] = []
    active: bool = True


@event_contract("planning.leader.registered", 1, producer="planning")
class LeaderRegistered(LeaderSnapshot):
    """A leader in charge was added to the directory of a scope."""


@event_contract("planning.leader.updated", 1, producer="planning")
class LeaderUpdated(LeaderSnapshot):
    """A leader's name, title, units in charge or activity changed."""


class ContractTarget(BaseModel):
    target_id: str
    code: str
    title: str
    version: int


@event_contract("planning.contract.signed", 1, producer="planning")
class ContractSigned(BaseModel):
    """A responsibility contract (责任书) of a unit with its leader in charge was signed."""

    contract_id: str
    year: int
    unit_code: str
    leader_code: str | None = None
    targets: list[ContractTarget]
    signed_by: str
    signed_at: datetime

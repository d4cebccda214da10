"""What the engine scores from: a consistent snapshot of one group's facts and entries (plain values, no I/O)."""
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple


class MilestoneIn(NamedTuple):  # a tuple: a job builds ~7,500 of these, and tuples are the cheapest to make
    id: str
    due_date: date
    completed_on: date | None = None
    timeliness: str | None = None  # early / on_time / late
    overdue: bool = False
    lag_kind: str | None = None  # objective / subjective
    sources: tuple[str, ...] = ()  # event ids: completion or overdue, lag explanation


@dataclass(frozen=True)
class TargetIn:
    id: str
    code: str
    title: str
    category: str
    lead_unit: str
    responsible_units: tuple[str, ...]
    weight: float
    milestones: tuple[MilestoneIn, ...]
    adjusted: bool = False
    source: str | None = None  # the planning event of its current version
    origin: str | None = None  # a linked target's city target (市级交办)

    @property
    def units(self) -> tuple[str, ...]:
        return (self.lead_unit, *[u for u in self.responsible_units if u != self.lead_unit])


@dataclass(frozen=True)
class UnitIn:
    code: str
    name: str


@dataclass(frozen=True)
class MetricIn:
    unit: str
    period: str
    period_kind: str
    source: str
    metrics: dict[str, float]
    origin: str
    origins: tuple[str, ...] = ()  # a district's totals: every unit row behind them (else just origin)

    @property
    def sources(self) -> tuple[str, ...]:
        return self.origins or (self.origin,)


@dataclass(frozen=True)
class EvaluationIn:
    unit: str
    kind: str
    evaluator: str
    score: float
    origin: str


@dataclass(frozen=True)
class ItemEntryIn:
    id: int
    unit: str
    item_key: str
    points: float
    basis: str
    target_id: str | None = None


@dataclass
class GroupInputs:
    year: int
    as_of: date
    units: list[UnitIn]
    targets: list[TargetIn] = field(default_factory=list)
    metrics: list[MetricIn] = field(default_factory=list)
    evaluations: list[EvaluationIn] = field(default_factory=list)
    entries: list[ItemEntryIn] = field(default_factory=list)

"""Period reports in the words target offices use: "77 项重点工作、221 个子项目：210 个节点完成（95%），11 个滞后
（客观 9 个、主观 2 个）". Pure: counts milestones as they stood on the as-of date.

Key task (重点工作) = a target without a parent, or the parent of targets in the report; sub-item (子项目) = a target
with a parent, or a key task that has no sub-items in the report (it is its own single sub-item). A milestone counts
when it was due on or before the as-of date: met if completed by then, otherwise lagging, with the reason given
by the unit's latest explanation up to that date (objective, subjective, or not yet explained)."""
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class TargetFact:
    id: str
    parent_id: str | None


@dataclass(frozen=True)
class LagFact:
    reason_kind: str
    reason_category: str
    explanation: str
    recovery_plan: str
    new_expected_date: date | None
    explained_on: date


@dataclass(frozen=True)
class MilestoneFact:
    target_id: str
    milestone_id: str
    due_date: date
    completed_on: date | None
    lags: tuple[LagFact, ...] = ()  # oldest first


@dataclass
class PeriodCounts:
    key_tasks: int = 0
    sub_items: int = 0
    milestones_due: int = 0
    met: int = 0
    met_early: int = 0
    met_on_time: int = 0
    met_late: int = 0
    lagging: int = 0
    lagging_objective: int = 0
    lagging_subjective: int = 0
    lagging_unexplained: int = 0
    not_yet_due: int = 0
    lagging_items: list[tuple[MilestoneFact, LagFact | None]] = field(default_factory=list)

    @property
    def met_percent(self) -> float:
        return round(100 * self.met / self.milestones_due, 1) if self.milestones_due else 100.0

    def headline(self) -> str:
        text = (f"{self.key_tasks} 项重点工作、{self.sub_items} 个子项目：{self.met} 个节点完成"
                f"（{round(self.met_percent):.0f}%），{self.lagging} 个滞后（客观 {self.lagging_objective} 个、"
                f"主观 {self.lagging_subjective} 个")
        return text + (f"、未说明 {self.lagging_unexplained} 个）" if self.lagging_unexplained else "）")


def structure(targets: list[TargetFact]) -> tuple[int, int]:
    """(key tasks, sub-items) of a set of targets."""
    parents = {t.parent_id for t in targets if t.parent_id}
    roots = {t.parent_id or t.id for t in targets}
    sub_items = sum(1 for t in targets if t.parent_id or t.id not in parents)
    return len(roots), sub_items


def latest_lag(m: MilestoneFact, as_of: date) -> LagFact | None:
    known = [lag for lag in m.lags if lag.explained_on <= as_of]
    return known[-1] if known else None


def count(targets: list[TargetFact], milestones: list[MilestoneFact], as_of: date) -> PeriodCounts:
    c = PeriodCounts()
    c.key_tasks, c.sub_items = structure(targets)
    for m in sorted(milestones, key=lambda m: (m.due_date, m.target_id)):
        if m.due_date > as_of:
            c.not_yet_due += 1
            continue
        c.milestones_due += 1
        if m.completed_on is not None and m.completed_on <= as_of:
            c.met += 1
            if m.completed_on < m.due_date:
                c.met_early += 1
            elif m.completed_on == m.due_date:
                c.met_on_time += 1
            else:
                c.met_late += 1
            continue
        c.lagging += 1
        lag = latest_lag(m, as_of)
        kind = lag.reason_kind if lag else None
        c.lagging_objective += kind == "objective"
        c.lagging_subjective += kind == "subjective"
        c.lagging_unexplained += kind is None
        c.lagging_items.append((m, lag))
    return c

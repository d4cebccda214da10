"""How a target was completed, milestone by milestone: early, on time, late, missed, excused (objective lag or
approved adjustment) or still pending. The same reading serves weighted points and pass/fail."""
from dataclasses import dataclass

from bihuan_assessment.domain.inputs import MilestoneIn, TargetIn
from bihuan_assessment.domain.rules import LagRules, MilestonePoints

LABELS = {"early": "提前完成", "on_time": "按时完成", "late": "逾期完成", "missed": "未完成", "excused": "客观原因滞后(不扣分)",
          "pending": "未到期"}


@dataclass(frozen=True)
class TargetOutcome:
    target: TargetIn
    statuses: tuple[tuple[MilestoneIn, str], ...]

    def count(self, status: str) -> int:
        return sum(1 for _, s in self.statuses if s == status)

    @property
    def red(self) -> bool:
        """A red target has a missed milestone that no objective reason excuses."""
        return self.count("missed") > 0

    def score(self, points: MilestonePoints) -> float | None:
        """Mean points of the milestones that count so far (None while all are pending)."""
        values = [_points(points, s) for _, s in self.statuses if s != "pending"]
        return sum(values) / len(values) if values else None

    def met(self, late_is_met: bool) -> bool:
        return not self.red and (late_is_met or self.count("late") == 0)

    def summary(self) -> str:
        parts = [f"{LABELS[s]}{self.count(s)}个" for s in LABELS if self.count(s)]
        return "、".join(parts) or "无节点"

    @property
    def sources(self) -> list[str]:
        found = [self.target.source] if self.target.source else []
        for m, _ in self.statuses:
            found.extend(m.sources)
        return found


def milestone_status(m: MilestoneIn, target: TargetIn, lag: LagRules, as_of) -> str:
    if m.completed_on is not None:
        status = m.timeliness or "on_time"
    elif m.overdue or m.due_date < as_of:
        status = "missed"
    else:
        return "pending"
    if status in ("late", "missed") and _excused(m, target, lag):
        return "excused"
    return status


def _excused(m: MilestoneIn, target: TargetIn, lag: LagRules) -> bool:
    return (lag.excuse_objective and m.lag_kind == "objective") or (lag.excuse_adjusted and target.adjusted)


def outcome(target: TargetIn, lag: LagRules, as_of) -> TargetOutcome:
    return TargetOutcome(target, tuple((m, milestone_status(m, target, lag, as_of)) for m in target.milestones))


def _points(points: MilestonePoints, status: str) -> float:
    return points.on_time if status == "excused" else getattr(points, status)

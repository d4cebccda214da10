"""Rules a target's milestones must satisfy before it can be published. Pure: no I/O."""
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class MilestoneProblem:
    index: int | None
    field: str
    message: str


@dataclass(frozen=True)
class PlannedMilestone:
    due_date: date
    expected_value: float | None = None
    deliverable: str | None = None


def check_milestones(year: int, milestones: list[PlannedMilestone], *, quantitative: bool, direction: str,
                     target_value: float | None) -> list[MilestoneProblem]:
    """Due dates inside the year and in order; cumulative values monotone in the indicator's direction;
    the last value equals the target value. Returns every problem, not just the first."""
    problems: list[MilestoneProblem] = []
    if not milestones:
        return [MilestoneProblem(None, "milestones", "至少需要一个节点目标")]
    for i, m in enumerate(milestones):
        if m.due_date.year != year:
            problems.append(MilestoneProblem(i, "due_date", f"节点日期 {m.due_date} 不在 {year} 年度内"))
        if i and m.due_date <= milestones[i - 1].due_date:
            problems.append(MilestoneProblem(i, "due_date", "节点日期必须按先后顺序排列"))
        if quantitative and m.expected_value is None:
            problems.append(MilestoneProblem(i, "expected_value", "量化指标的节点必须给出累计目标值"))
        if not quantitative and not (m.deliverable or "").strip():
            problems.append(MilestoneProblem(i, "deliverable", "定性指标的节点必须描述应交付的成果"))
    if quantitative:
        problems += _check_values(milestones, direction, target_value)
    return problems


def _check_values(milestones: list[PlannedMilestone], direction: str, target_value: float | None) -> list[MilestoneProblem]:
    problems: list[MilestoneProblem] = []
    values = [m.expected_value for m in milestones]
    for i in range(1, len(values)):
        prev, cur = values[i - 1], values[i]
        if prev is None or cur is None:
            continue
        if (direction == "up" and cur < prev) or (direction == "down" and cur > prev):
            word = "递增" if direction == "up" else "递减"
            problems.append(MilestoneProblem(i, "expected_value", f"累计目标值必须{word} ({prev} → {cur})"))
    if target_value is None:
        problems.append(MilestoneProblem(None, "indicator.target_value", "量化指标必须给出目标值"))
    elif values[-1] is not None and values[-1] != target_value:
        problems.append(MilestoneProblem(len(values) - 1, "expected_value",
                                         f"最后一个节点的累计值 {values[-1]} 必须等于目标值 {target_value}"))
    return problems

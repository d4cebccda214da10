"""Warning rules (预警), pure: given what supervision knows of a target today, which warnings should be open.

  due_soon            yellow  a milestone is due within N days and nothing was reported on it
  overdue             red     a milestone's due date passed without completion
  behind_trajectory   yellow  a quantitative target's latest value is behind the value expected by now (± tolerance),
                              interpolated by date between milestones
  repeated_lags       yellow  a target's units explained lags N times or more
  hotline_spike       yellow  a unit's work orders today reach factor × its mean of the previous 7 days (and a minimum)
  hotline_topic_spike yellow  a hotline category linked to a target, by the same measure (shown on that target)
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class Rules:
    yellow_days: int = 7
    trajectory_tolerance: float = 0.1
    lag_repeats: int = 2
    spike_factor: float = 2.0
    spike_min_orders: int = 20


@dataclass(frozen=True)
class MilestoneState:
    id: str
    due_date: date
    expected_value: float | None
    completed: bool
    overdue_reported: bool
    latest_value: float | None
    last_reported_at: datetime | None


@dataclass(frozen=True)
class TargetState:
    id: str
    title: str
    unit: str
    leader: str | None
    quantitative: bool
    direction: str  # up | down
    cancelled: bool
    milestones: list[MilestoneState]
    lags: int
    year: int  # the target book's year: an upward target starts from 0 on 1 January


@dataclass(frozen=True)
class Wanted:
    """A warning that should be open: keyed by (kind, subject)."""

    kind: str
    level: str
    subject: str
    message: str
    milestone_id: str | None = None


def wanted_for_target(t: TargetState, today: date, rules: Rules) -> list[Wanted]:
    if t.cancelled:
        return []
    out: list[Wanted] = []
    for m in t.milestones:
        if m.completed:
            continue
        if m.overdue_reported or m.due_date < today:
            out.append(Wanted("overdue", "red", m.id, f"「{t.title}」节点已逾期（应于 {m.due_date} 完成）", m.id))
        elif (m.due_date - today).days <= rules.yellow_days and m.last_reported_at is None:
            out.append(Wanted("due_soon", "yellow", m.id,
                              f"「{t.title}」节点将于 {m.due_date} 到期，尚未报送进展", m.id))
    behind = _behind_trajectory(t, today, rules.trajectory_tolerance)
    if behind is not None:
        out.append(Wanted("behind_trajectory", "yellow", t.id, behind))
    if rules.lag_repeats > 0 and t.lags >= rules.lag_repeats:
        out.append(Wanted("repeated_lags", "yellow", t.id, f"「{t.title}」已 {t.lags} 次说明滞后原因"))
    return out


def _behind_trajectory(t: TargetState, today: date, tolerance: float) -> str | None:
    if not t.quantitative:
        return None
    reported = [m for m in t.milestones if m.latest_value is not None and m.last_reported_at is not None]
    # the read model has no baseline: an upward target starts from 0; a downward one's start is unknown
    start = None if t.direction == "down" else (date(t.year, 1, 1), 0.0)
    expected = expected_by([(m.due_date, m.expected_value) for m in t.milestones if m.expected_value is not None],
                           today, start)
    if expected is None or not reported:
        return None
    actual = max(reported, key=lambda m: m.last_reported_at).latest_value
    slack = abs(expected) * tolerance
    if (t.direction == "down" and actual > expected + slack) or (t.direction != "down" and actual < expected - slack):
        return f"「{t.title}」进度落后于计划：当前 {actual:g}，按期应达 {round(expected, 2):g}"
    return None


def expected_by(milestones: list[tuple[date, float]], day: date, start: tuple[date, float] | None) -> float | None:
    """The value a target should have reached on `day`: linear by date from one quantified milestone (date, value)
    to the next, from `start` to the first one, the last one's value after it. None before the first point (no
    start given: before the first milestone), since nothing can be expected yet."""
    points = sorted(milestones)
    if start is not None and (not points or start[0] < points[0][0]):
        points.insert(0, start)
    if not points or day < points[0][0]:
        return None
    for (d0, v0), (d1, v1) in zip(points, points[1:]):
        if day < d1:  # d0 <= day < d1, so d1 > d0
            return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
    return points[-1][1]


def day_window(per_day: dict[date, int], day: date) -> tuple[int, list[int]]:
    """The count of `day` and of each of the 7 days before it (a day without orders counts zero)."""
    return per_day.get(day, 0), [per_day.get(day - timedelta(days=k), 0) for k in range(1, 8)]


def is_spike(today_count: int, previous_days: list[int], rules: Rules) -> bool:
    mean = sum(previous_days) / 7  # days without orders count as zero
    return today_count >= rules.spike_min_orders and today_count >= rules.spike_factor * max(mean, 1.0)

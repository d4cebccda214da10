"""A city task's roll-up (市级交办 汇总): each district's share against what its linked target reports, and the city's
figure by the task's rule. Pure: no I/O.

Quantitative: the districts' achieved amounts are summed against the city's target value (a district's achieved
amount is its latest cumulative report, or the sum of its reports for a non-cumulative indicator). Qualitative: the
city task is done when every district's share is done. A district that has not yet published its linked target counts
as nothing achieved, and is named as such.
"""
from dataclasses import dataclass, field

from bihuan_execution.domain.status import DONE, DUE_SOON, OVERDUE

RULES = {
    "quantitative": "各区完成量之和对照市级目标值",
    "qualitative": "各区分解任务全部完成，市级任务方为完成",
}


@dataclass(frozen=True)
class MilestoneState:
    seq: int
    status: str
    latest_value: float | None


@dataclass(frozen=True)
class LinkedTarget:
    """What a district's linked target contributes: its milestones counted, its lights, its reported values (the
    latest cumulative one and their sum). The API reads it from PostgreSQL already summed (api/city_tasks.py);
    `summarise` gives the same from milestones."""

    target_id: str
    lead_unit: str
    milestones_total: int
    milestones_done: int
    overdue: bool
    due_soon: bool
    last_value: float | None   # the latest reported value by milestone order
    value_sum: float | None    # all reported values summed (a non-cumulative indicator)


def summarise(target_id: str, lead_unit: str, milestones: list[MilestoneState]) -> LinkedTarget:
    statuses = [m.status for m in milestones]
    reported = [m for m in sorted(milestones, key=lambda m: m.seq) if m.latest_value is not None]
    return LinkedTarget(target_id, lead_unit, len(statuses), sum(s in DONE for s in statuses), OVERDUE in statuses,
                        DUE_SOON in statuses, reported[-1].latest_value if reported else None,
                        sum(m.latest_value for m in reported) if reported else None)


@dataclass
class DistrictLine:
    district: str
    share_value: float | None
    deliverable: str | None
    target_id: str | None
    lead_unit: str | None
    achieved: float | None
    done: bool
    light: str  # red (a milestone overdue), yellow (one due soon), green, or "awaiting" (not yet published)
    milestones_done: int
    milestones_total: int


@dataclass
class Rollup:
    kind: str
    rule: str
    target_value: float | None
    achieved: float | None
    percent: float | None
    done: bool
    districts: list[DistrictLine] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {"red": 0, "yellow": 0, "green": 0, "awaiting": 0}
        for line in self.districts:
            out[line.light] += 1
        return out


def roll_up(indicator: dict, assignments: list[dict], linked: dict[str, LinkedTarget]) -> Rollup:
    quantitative = indicator["kind"] == "quantitative"
    lines = [_line(indicator, a, linked.get(a["district"])) for a in assignments]
    if quantitative:
        achieved = round(sum(line.achieved or 0 for line in lines), 6)
        target = indicator.get("target_value")
        up = indicator.get("direction", "up") == "up"
        done = target is not None and (achieved >= target if up else achieved <= target) and bool(lines)
        percent = round(achieved / target * 100, 1) if target and up else None
    else:
        achieved, target, percent = None, None, None
        done = bool(lines) and all(line.done for line in lines)
    return Rollup(indicator["kind"], RULES[indicator["kind"]], target, achieved, percent, done, lines)


def _line(indicator: dict, assignment: dict, target: LinkedTarget | None) -> DistrictLine:
    base = dict(district=assignment["district"], share_value=assignment.get("share_value"),
                deliverable=assignment.get("deliverable"))
    if target is None:
        return DistrictLine(**base, target_id=None, lead_unit=None, achieved=None, done=False, light="awaiting",
                            milestones_done=0, milestones_total=0)
    light = "red" if target.overdue else "yellow" if target.due_soon else "green"
    return DistrictLine(**base, target_id=target.target_id, lead_unit=target.lead_unit,
                        achieved=_achieved(indicator, target),
                        done=target.milestones_total > 0 and target.milestones_done == target.milestones_total,
                        light=light, milestones_done=target.milestones_done, milestones_total=target.milestones_total)


def _achieved(indicator: dict, target: LinkedTarget) -> float | None:
    if indicator["kind"] != "quantitative":
        return None
    value = target.last_value if indicator.get("cumulative", True) else target.value_sum
    return value if value is not None else 0.0

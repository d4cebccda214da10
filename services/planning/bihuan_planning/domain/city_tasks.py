"""City tasks (市级交办) decomposed to districts: what a city office may assign, what a district may change of the
target it receives, and each district's milestones. Pure: no I/O.

A city target names the districts it is decomposed to, each with a share: a quantity for a quantitative indicator, a
deliverable for a qualitative one. Publishing it places a linked target in each district's book with that share and
those dates; the district office then gives it its own lead and responsible units. The share, dates, title, category
and indicator stay the city's: a district changes them only through an adjustment the city office approves.
"""
from dataclasses import dataclass
from datetime import date

from bihuan_planning.domain.milestones import PlannedMilestone, check_milestones

SOURCE = "市级交办"
# What a district may not edit on a linked target (the city's decision); everything else is the district's to fill.
LOCKED_FIELDS = frozenset({"title", "category", "indicator", "milestones"})


@dataclass(frozen=True)
class Share:
    district: str
    share_value: float | None
    deliverable: str | None
    milestones: list[PlannedMilestone] | None  # None: derived from the city task's own milestones


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def check_shares(indicator: dict, year: int, shares: list[Share], districts: frozenset[str]) -> list[Problem]:
    """Every problem of a decomposition, each naming its field (assignments.<i>.<field>)."""
    if not shares:
        return [Problem("assignments", "至少分解到一个区")]
    problems: list[Problem] = []
    quantitative = indicator["kind"] == "quantitative"
    seen: set[str] = set()
    for i, share in enumerate(shares):
        where = f"assignments.{i}"
        if share.district not in districts:
            problems.append(Problem(f"{where}.district", f"{share.district} 不是本市已登记的区"))
        if share.district in seen:
            problems.append(Problem(f"{where}.district", f"{share.district} 重复分解"))
        seen.add(share.district)
        if quantitative and (share.share_value is None or share.share_value <= 0):
            problems.append(Problem(f"{where}.share_value", "量化指标须给出该区的任务量（大于 0）"))
        if not quantitative and not (share.deliverable or "").strip():
            problems.append(Problem(f"{where}.deliverable", "定性指标须写明该区应交付的成果"))
        if share.milestones is not None:
            problems += [Problem(f"{where}.milestones" + ("" if p.index is None else f".{p.index}.{p.field}"),
                                 p.message)
                         for p in check_milestones(year, share.milestones, quantitative=quantitative,
                                                   direction=indicator.get("direction", "up"),
                                                   target_value=share.share_value if quantitative else None)
                         if p.field != "indicator.target_value"]
    total, city_total = sum(s.share_value or 0 for s in shares), indicator.get("target_value")
    if quantitative and indicator.get("direction", "up") == "up" and city_total is not None and total < city_total:
        problems.append(Problem("assignments", f"各区任务量之和 {_num(total)} 低于市级目标值 {_num(city_total)}"))
    return problems


def district_milestones(indicator: dict, city: list[PlannedMilestone], share: Share) -> list[PlannedMilestone]:
    """The district's milestones: its own when the city gave them, else the city task's dates with the values
    scaled to the district's share (the last one exactly the share) or, qualitative, the city's deliverables with
    the district's own at the end."""
    if share.milestones is not None:
        return share.milestones
    if indicator["kind"] == "quantitative":
        total = indicator.get("target_value") or 0
        ratio = (share.share_value or 0) / total if total else 0
        out = [PlannedMilestone(m.due_date, round((m.expected_value or 0) * ratio, 2), None) for m in city]
        out[-1] = PlannedMilestone(city[-1].due_date, share.share_value, None)
        return out
    out = [PlannedMilestone(m.due_date, None, m.deliverable) for m in city]
    out[-1] = PlannedMilestone(city[-1].due_date, None, share.deliverable)
    return out


def district_indicator(indicator: dict, share: Share) -> dict:
    return {**indicator, "target_value": share.share_value} if indicator["kind"] == "quantitative" else dict(indicator)


def district_code(city_code: str) -> str:
    """The linked target's code in the district's book: the city task's, marked, so it never takes a district's own."""
    return f"市-{city_code}"[:64]


def locked_changes(values: dict) -> list[str]:
    return sorted(LOCKED_FIELDS & values.keys())


def parse_due(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _num(value: float) -> str:
    return f"{value:g}"

"""The rules of a scheme (考核办法), validated: groups, components with weights, scoring mode, veto and bonus / penalty
items with caps, lag rules, grades with quotas, bottom-rank flags and accountability rules.

Pure data; the engine in scoring.py reads it. Every error names its field so a scheme author can fix it."""
from typing import Literal

from pydantic import BaseModel, Field, model_validator

# "system": a system's lead unit (系统牵头单位, Lianyungang) rating the units of its system
EvaluationKind = Literal["leader", "department", "third_party", "cooperation", "system"]


class MilestonePoints(BaseModel):
    """Points (0..100) a milestone earns by how it was done; pending milestones do not count yet."""
    early: float = Field(100, ge=0, le=120)
    on_time: float = Field(100, ge=0, le=120)
    late: float = Field(60, ge=0, le=120)
    missed: float = Field(0, ge=0, le=120)


class LagRules(BaseModel):
    """Lags with objective reasons are not penalised: an objective lag explanation, or an approved adjustment."""
    excuse_objective: bool = True
    excuse_adjusted: bool = True
    missed_penalty: float = Field(0, ge=0, description="points deducted per missed milestone")
    penalty_cap: float | None = Field(None, ge=0)
    joint: bool = True  # 条块连坐: the penalty reaches the lead unit and every responsible unit


class Indicator(BaseModel):
    """An objective indicator: a metric (or a ratio of two) scored as a rate or relative to the group's best;
    optionally its growth over the previous year is scored too (Qingdao: totals and growth rates)."""
    key: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1)
    metric: str | None = None
    ratio: tuple[str, str] | None = None  # numerator, denominator (e.g. fiscal_revenue / gdp)
    source: str = "statistics"
    period_kind: Literal["month", "quarter", "year"] = "year"
    scoring: Literal["rate", "relative"] = "relative"
    direction: Literal["up", "down"] = "up"
    weight: float = Field(1, ge=0)
    growth_weight: float = Field(0, ge=0)

    @model_validator(mode="after")
    def one_value(self) -> "Indicator":
        if (self.metric is None) == (self.ratio is None):
            raise ValueError(f"指标 {self.key}: metric 与 ratio 必须且只能填写一个")
        if self.weight + self.growth_weight <= 0:
            raise ValueError(f"指标 {self.key}: weight 与 growth_weight 不能都为 0")
        return self


class Component(BaseModel):
    """A weighted part of the score (Baoshan's leader evaluation 35, Xuhui's target completion 40 ...), scored 0..100
    and worth weight × score / 100 points."""
    key: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1)
    # city_tasks: a city scheme's district scored by the milestones of its linked targets (市级交办) only
    kind: Literal["target_completion", "evaluation", "indicators", "city_tasks"]
    weight: float = Field(gt=0)
    evaluation_kind: EvaluationKind | None = None
    categories: list[str] | None = None  # target categories counted; None = all
    milestone_points: MilestonePoints = MilestonePoints()
    indicators: list[Indicator] = []

    @model_validator(mode="after")
    def consistent(self) -> "Component":
        if self.kind == "evaluation" and self.evaluation_kind is None:
            raise ValueError(f"组成部分 {self.key}: 评价类必须填写 evaluation_kind")
        if self.kind == "indicators" and not self.indicators:
            raise ValueError(f"组成部分 {self.key}: 指标类至少需要一个指标")
        return self


class Item(BaseModel):
    """A bonus (加分), penalty (减分) or veto (一票否决) item. Entries are recorded against units or targets;
    a veto item may also name targets whose miss triggers it."""
    key: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1)
    kind: Literal["bonus", "penalty", "veto"]
    cap: float | None = Field(None, ge=0)
    joint: bool = False
    target_ids: list[str] = []


class Grade(BaseModel):
    name: str = Field(min_length=1, max_length=16)
    min_score: float = 0
    quota: float | None = Field(None, gt=0, le=1, description="at most this share of the group")


class QuotaTies(BaseModel):
    """What happens when units with the same total straddle a grade's quota (名额), e.g. two units tied at 95 for the
    last 优秀 place. No committee defends splitting them by unit code, so the scheme says:
    - "share" (default): all tied units get the higher grade; the quota is exceeded and that is recorded;
    - "lower": none of them takes the higher grade; its remaining places stay unused (a lower total never takes them);
    - "tiebreak": compare the named components (e.g. "completion") or indicators ("centers.satisfaction") in order,
      higher first; units still tied after all of them are settled by `fallback` ("share" or "lower").
    A shorthand string ("share" / "lower") is accepted for the rule alone."""
    rule: Literal["share", "lower", "tiebreak"] = "share"
    tiebreakers: list[str] = Field(default=[], max_length=10)
    fallback: Literal["share", "lower"] = "share"

    @model_validator(mode="before")
    @classmethod
    def shorthand(cls, value):
        return {"rule": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def named(self) -> "QuotaTies":
        if self.rule == "tiebreak" and not self.tiebreakers:
            raise ValueError("quota_ties: 规则 tiebreak 需要在 tiebreakers 中列出比较的组成部分")
        return self


class AccountabilityRule(BaseModel):
    kind: Literal["veto", "red_targets", "grade", "bottom", "fail"]
    above: int = Field(0, ge=0)  # red_targets: more than this many red targets
    grade: str | None = None
    measure: str = "约谈"


class Group(BaseModel):
    """考核组: units compared only with each other, with their own components and weights."""
    key: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1)
    unit_groups: list[str] = []  # planning's assessment_group values that belong here
    units: list[str] = []  # or units named one by one
    mode: Literal["weighted", "pass_fail"] = "weighted"
    late_is_met: bool = True  # pass_fail: a milestone done late still meets the target
    components: list[Component] = []
    items: list[Item] = []
    lag: LagRules = LagRules()
    grades: list[Grade] = [Grade(name="优秀", min_score=90, quota=0.2), Grade(name="良好", min_score=80),
                           Grade(name="合格", min_score=60), Grade(name="不合格")]
    pass_grade: str = "达标"
    fail_grade: str = "不达标"
    quota_ties: QuotaTies = QuotaTies()
    bottom_count: int = Field(0, ge=0)
    accountability: list[AccountabilityRule] = []

    @model_validator(mode="after")
    def consistent(self) -> "Group":
        if not self.unit_groups and not self.units:
            raise ValueError(f"考核组 {self.key}: unit_groups 或 units 至少填写一项")
        if self.mode == "weighted" and not self.components:
            raise ValueError(f"考核组 {self.key}: 计分制至少需要一个组成部分")
        _unique(f"考核组 {self.key} 的组成部分", [c.key for c in self.components])
        _unique(f"考核组 {self.key} 的加减分项", [i.key for i in self.items])
        _unique(f"考核组 {self.key} 的等次", [g.name for g in self.grades])
        if not self.grades:
            raise ValueError(f"考核组 {self.key}: 至少需要一个等次")
        for name in self.quota_ties.tiebreakers:
            if self.tiebreaker(name) is None:
                raise ValueError(f"考核组 {self.key}: quota_ties.tiebreakers 中的「{name}」不是本组的组成部分或指标"
                                 "（写组成部分的 key，或「组成部分key.指标key」）")
        return self

    def tiebreaker(self, name: str) -> tuple[Component, Indicator | None] | None:
        """A tiebreaker's component, and its indicator when the name is "component.indicator"."""
        key, _, indicator = name.partition(".")
        c = next((c for c in self.components if c.key == key), None)
        if c is None or not indicator:
            return (c, None) if c else None
        ind = next((i for i in c.indicators if i.key == indicator), None)
        return (c, ind) if ind else None

    def item(self, key: str) -> Item | None:
        return next((i for i in self.items if i.key == key), None)


class System(BaseModel):
    """系统 (Lianyungang: 县区, 市直部门, 驻连单位): units (districts, in a city's scheme) under a lead unit (系统牵头单位),
    which enters the evaluations of its system's units, and only those."""
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    lead_unit: str = Field(min_length=1, max_length=64)
    units: list[str] = Field(min_length=1)


class SchemeRules(BaseModel):
    groups: list[Group] = Field(min_length=1)
    systems: list[System] = []

    @model_validator(mode="after")
    def unique_groups(self) -> "SchemeRules":
        _unique("考核组", [g.key for g in self.groups])
        _unique("系统", [s.code for s in self.systems])
        return self

    def systems_led_by(self, unit: str | None) -> list[System]:
        return [s for s in self.systems if unit is not None and s.lead_unit == unit]

    def group(self, key: str) -> Group | None:
        return next((g for g in self.groups if g.key == key), None)

    def group_of(self, unit_code: str, assessment_group: str | None) -> Group | None:
        """Units named one by one win over membership by planning's assessment group."""
        named = next((g for g in self.groups if unit_code in g.units), None)
        return named or next((g for g in self.groups if assessment_group in g.unit_groups), None)


def _unique(what: str, keys: list[str]) -> None:
    seen = {k for k in keys if keys.count(k) > 1}
    if seen:
        raise ValueError(f"{what}重复: {', '.join(sorted(seen))}")

"""Scoring one component (0..100) for every unit of a group, with lines whose points add up to weight × score / 100."""
from collections import defaultdict

from bihuan_assessment.domain.completion import TargetOutcome
from bihuan_assessment.domain.indicators import score_indicators
from bihuan_assessment.domain.inputs import GroupInputs
from bihuan_assessment.domain.lines import Line
from bihuan_assessment.domain.rules import Component

KIND_NAMES = {"leader": "领导评价", "department": "职能部门评价", "third_party": "第三方评估", "cooperation": "牵头单位评价",
              "system": "系统牵头单位评价"}


def score_component(c: Component, inputs: GroupInputs, outcomes: dict[str, list[TargetOutcome]]
                    ) -> dict[str, tuple[float, list[Line]]]:
    if c.kind == "target_completion":
        return {u.code: _completion(c, outcomes.get(u.code, [])) for u in inputs.units}
    if c.kind == "city_tasks":
        # only linked targets (市级交办) count: in a city's scheme those are all a district's targets it loads
        return {u.code: _completion(c, [o for o in outcomes.get(u.code, []) if o.target.origin], city=True)
                for u in inputs.units}
    if c.kind == "evaluation":
        by_unit = defaultdict(list)
        for e in inputs.evaluations:
            if e.kind == c.evaluation_kind:
                by_unit[e.unit].append(e)
        return {u.code: _evaluation(c, by_unit[u.code]) for u in inputs.units}
    return score_indicators(c, inputs)


def _completion(c: Component, outcomes: list[TargetOutcome], city: bool = False) -> tuple[float, list[Line]]:
    rule = f"components.{c.key}.{'city_tasks.' if city else ''}milestone_points"
    what = "市级交办目标" if city else "目标"
    p = c.milestone_points
    # the rule, stated on each city line: the district's linked targets are all the city sees of its work
    how = (f"（节点计分：提前{p.early:g}、按时{p.on_time:g}、逾期{p.late:g}、未完成{p.missed:g}，取平均；各目标按权重加权）"
           if city else "")
    scored = [(o, o.score(c.milestone_points)) for o in outcomes
              if c.categories is None or o.target.category in c.categories]
    scored = [(o, s) for o, s in scored if s is not None]
    total_weight = sum(o.target.weight for o, _ in scored)
    if not scored or total_weight <= 0:
        return 0.0, [Line(c.key, rule, 0.0, f"{c.name}: 无已到期的{what}节点，得0分")]
    lines = []
    for o, s in scored:
        share = o.target.weight / total_weight
        text = (f"{c.name}: {what}{o.target.code}「{o.target.title}」权重{o.target.weight:g}，{o.summary()}，"
                f"目标得分{s:.2f}，占比{share:.2%}{how}")
        lines.append(Line(c.key, rule, c.weight * share * s / 100, text, o.sources))
    score = sum(o.target.weight * s for o, s in scored) / total_weight
    return score, lines


def _evaluation(c, entries) -> tuple[float, list[Line]]:
    rule = f"components.{c.key}.evaluation_mean"
    label = KIND_NAMES[c.evaluation_kind]
    if not entries:
        return 0.0, [Line(c.key, rule, 0.0, f"{c.name}: 暂无{label}，得0分")]
    n = len(entries)
    lines = [Line(c.key, rule, c.weight * e.score / 100 / n,
                  f"{c.name}: {e.evaluator}的{label} {e.score:g}分，{n}份取平均", [e.origin]) for e in entries]
    return sum(e.score for e in entries) / n, lines

"""Scoring one component (0..100) for every unit of a group, with lines whose points add up to weight × score / 100."""
from collections import defaultdict

from bihuan_assessment.domain.completion import TargetOutcome
from bihuan_assessment.domain.indicators import score_indicators
from bihuan_assessment.domain.inputs import GroupInputs
from bihuan_assessment.domain.lines import Line
from bihuan_assessment.domain.rules import Component

KIND_NAMES = {"leader": "领导评价", "department": "职能部门评价", "third_party": "第三方评估", "cooperation": "牵头单位评价"}


def score_component(c: Component, inputs: GroupInputs, outcomes: dict[str, list[TargetOutcome]]
                    ) -> dict[str, tuple[float, list[Line]]]:
    if c.kind == "target_completion":
        return {u.code: _completion(c, outcomes.get(u.code, [])) for u in inputs.units}
    if c.kind == "evaluation":
        by_unit = defaultdict(list)
        for e in inputs.evaluations:
            if e.kind == c.evaluation_kind:
                by_unit[e.unit].append(e)
        return {u.code: _evaluation(c, by_unit[u.code]) for u in inputs.units}
    return score_indicators(c, inputs)


def _completion(c: Component, outcomes: list[TargetOutcome]) -> tuple[float, list[Line]]:
    rule = f"components.{c.key}.milestone_points"
    scored = [(o, o.score(c.milestone_points)) for o in outcomes
              if c.categories is None or o.target.category in c.categories]
    scored = [(o, s) for o, s in scored if s is not None]
    total_weight = sum(o.target.weight for o, _ in scored)
    if not scored or total_weight <= 0:
        return 0.0, [Line(c.key, rule, 0.0, f"{c.name}: 无已到期的目标节点，得0分")]
    lines = []
    for o, s in scored:
        share = o.target.weight / total_weight
        text = (f"{c.name}: 目标{o.target.code}「{o.target.title}」权重{o.target.weight:g}，{o.summary()}，"
                f"目标得分{s:.2f}，占比{share:.2%}")
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

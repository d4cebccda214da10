"""Objective indicators: rates (three-center satisfaction ...) or values scored relative to the group's best (Qingdao:
totals, growth rates over last year, ratios such as fiscal revenue / GDP), each with its weight in the component."""
from collections import defaultdict

from bihuan_assessment.domain.inputs import GroupInputs, MetricIn
from bihuan_assessment.domain.lines import Line
from bihuan_assessment.domain.rules import Component, Indicator

Value = tuple[float, list[str]] | None  # the value and the metric facts it came from


def indicator_value(ind: Indicator, rows: list[MetricIn], year: int) -> Value:
    rows = [r for r in rows if r.source == ind.source and r.period_kind == ind.period_kind
            and r.period.startswith(str(year))]
    names = [ind.metric] if ind.metric else list(ind.ratio)
    rows = [r for r in rows if all(n in r.metrics for n in names)]
    if not rows:
        return None
    if ind.metric:
        return sum(r.metrics[ind.metric] for r in rows) / len(rows), _sources(rows)
    denominator = sum(r.metrics[ind.ratio[1]] for r in rows)
    if denominator == 0:
        return None
    return sum(r.metrics[ind.ratio[0]] for r in rows) / denominator, _sources(rows)


def _sources(rows: list[MetricIn]) -> list[str]:
    return [s for r in rows for s in r.sources]


def _growth(ind: Indicator, rows: list[MetricIn], year: int) -> Value:
    now, before = indicator_value(ind, rows, year), indicator_value(ind, rows, year - 1)
    if now is None or before is None or before[0] == 0:
        return None
    change = now[0] / before[0] - 1
    return (change if ind.direction == "up" else -change), now[1] + before[1]


def _relative(values: dict[str, Value], direction: str) -> dict[str, float]:
    present = {u: v[0] for u, v in values.items() if v is not None}
    if not present:
        return {}
    if direction == "down":
        best = min(present.values())
        return {u: (100.0 if v <= 0 else 100 * best / v) for u, v in present.items()}
    best = max(present.values())
    return {u: (100 * max(v, 0) / best if best > 0 else 0.0) for u, v in present.items()}


def _scores(ind: Indicator, values: dict[str, Value], growth: bool) -> dict[str, float]:
    if growth:
        return _relative({u: v for u, v in values.items()}, "up")
    if ind.scoring == "rate":
        return {u: min(100.0, max(0.0, 100 * (v[0] if ind.direction == "up" else 1 - v[0])))
                for u, v in values.items() if v is not None}
    return _relative(values, ind.direction)


def score_indicators(c: Component, inputs: GroupInputs) -> dict[str, tuple[float, list[Line]]]:
    rows = defaultdict(list)
    for m in inputs.metrics:
        rows[m.unit].append(m)
    total_weight = sum(i.weight + i.growth_weight for i in c.indicators)
    result = {u.code: [0.0, []] for u in inputs.units}
    for ind in c.indicators:
        for growth, weight in ((False, ind.weight), (True, ind.growth_weight)):
            if weight <= 0:
                continue
            read = _growth if growth else indicator_value
            values = {u.code: read(ind, rows[u.code], inputs.year) for u in inputs.units}
            scores = _scores(ind, values, growth)
            for unit, value in values.items():
                s = scores.get(unit, 0.0)
                result[unit][0] += s * weight / total_weight
                result[unit][1].append(_line(c, ind, growth, value, s, c.weight * weight / total_weight * s / 100))
    return {u: (s, lines) for u, (s, lines) in result.items()}


def _line(c: Component, ind: Indicator, growth: bool, value: Value, score: float, points: float) -> Line:
    what = "增幅" if growth else ("比率" if ind.ratio else "总量")
    rule = f"components.{c.key}.indicators.{ind.key}.{'growth' if growth else 'value'}"
    if value is None:
        return Line(c.key, rule, 0.0, f"{c.name}: {ind.name}{what}无数据，得0分")
    how = "按比率计分" if ind.scoring == "rate" and not growth else "与组内最优值比较"
    shown = f"{value[0]:.2%}" if growth or ind.scoring == "rate" or ind.ratio else f"{value[0]:g}"
    return Line(c.key, rule, points, f"{c.name}: {ind.name}{what} {shown}，{how}，得分{score:.2f}", value[1])

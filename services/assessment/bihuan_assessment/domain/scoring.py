"""The scoring engine: one group's snapshot in, explained scorecards out (ranked, graded, with accountability
proposals). Pure: the same inputs always give the same cards, which is what makes recomputation idempotent."""
from bihuan_assessment.domain.card import Card
from bihuan_assessment.domain.completion import TargetOutcome, outcome
from bihuan_assessment.domain.components import score_component
from bihuan_assessment.domain.inputs import GroupInputs
from bihuan_assessment.domain.items import apply_items
from bihuan_assessment.domain.lines import Line
from bihuan_assessment.domain.ranking import grade_and_rank
from bihuan_assessment.domain.rules import Group


def score_group(group: Group, inputs: GroupInputs) -> list[Card]:
    cards = {u.code: Card(u.code, u.name, group.key) for u in inputs.units}
    outcomes = [outcome(t, group.lag, inputs.as_of) for t in inputs.targets]
    by_unit: dict[str, list[TargetOutcome]] = {code: [] for code in cards}
    for o in outcomes:
        for unit in o.target.units:
            if unit in by_unit:
                by_unit[unit].append(o)
    for code, card in cards.items():
        card.red_targets = [o.target.id for o in by_unit[code] if o.red]
    if group.mode == "pass_fail":
        _pass_fail(group, cards, by_unit)
    else:
        _weighted(group, inputs, cards, by_unit)
    apply_items(group, inputs, cards, outcomes)
    for card in cards.values():
        card.total = round(sum(line.points for line in card.lines), 2)
        if card.passed is not None and card.vetoed:
            card.passed = False
    ordered = sorted(cards.values(), key=lambda c: c.unit)
    grade_and_rank(group, ordered)
    return ordered


def _weighted(group: Group, inputs: GroupInputs, cards: dict[str, Card], by_unit) -> None:
    for c in group.components:
        for unit, (score, lines) in score_component(c, inputs, by_unit).items():
            card = cards[unit]
            card.lines.extend(lines)
            card.components[c.key] = {"name": c.name, "weight": c.weight, "score": round(score, 4),
                                      "points": round(c.weight * score / 100, 4)}


def _pass_fail(group: Group, cards: dict[str, Card], by_unit) -> None:
    """Wuhan 达标管理: each target is met or not; one failed target fails the unit (the score only shows how many)."""
    for unit, card in cards.items():
        outcomes = by_unit[unit]
        n = len(outcomes)
        card.passed = all(o.met(group.late_is_met) for o in outcomes)
        if not outcomes:
            card.lines.append(Line("pass_fail", "mode.pass_fail", 0.0, "本年度无考核目标，视为达标"))
        for o in outcomes:
            met = o.met(group.late_is_met)
            text = f"目标{o.target.code}「{o.target.title}」{'达标' if met else '未达标'}: {o.summary()}"
            card.lines.append(Line("pass_fail", "mode.pass_fail", (100 / n) if met else 0.0, text, o.sources))
        card.components["pass_fail"] = {"name": "达标管理", "targets": n,
                                        "met": sum(1 for o in outcomes if o.met(group.late_is_met))}

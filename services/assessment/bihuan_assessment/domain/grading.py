"""Grades with quotas (名额): units in rank order take the best grade whose minimum they reach while it has places left.
Units tied on the total are graded together; when a tie straddles a quota's last places, the scheme's quota_ties rule
decides (share / lower / tiebreak), and every tied unit's scorecard records the decision and why, so it can be
defended. Vetoed units get the lowest grade and take no place."""
import math
from itertools import groupby

from bihuan_assessment.domain.card import Card
from bihuan_assessment.domain.lines import Line
from bihuan_assessment.domain.rules import Grade, Group

RULE_NAMES = {"share": "并列同档（share）", "lower": "并列降档（lower）", "tiebreak": "逐项比较（tiebreak）"}


class _Quotas:
    def __init__(self, group: Group, n: int):
        self.group, self.n = group, n
        self.limit = {g.name: math.floor(g.quota * n + 1e-9) if g.quota is not None else None for g in group.grades}
        self.used = {g.name: 0 for g in group.grades}

    def room(self, g: Grade) -> float:
        limit = self.limit[g.name]
        return math.inf if limit is None else limit - self.used[g.name]

    def close(self, g: Grade) -> None:
        """A lower total must never take a place that a tie above it was refused."""
        self.used[g.name] = max(self.used[g.name], self.limit[g.name] or 0)


def assign_grades(group: Group, ordered: list[Card]) -> None:
    """ordered: the group's cards in rank order."""
    if group.mode == "pass_fail":
        for card in ordered:
            card.grade = group.pass_grade if card.passed else group.fail_grade
        return
    quotas = _Quotas(group, len(ordered))
    for card in ordered:
        card.grade = group.grades[-1].name
    eligible = [c for c in ordered if not c.vetoed]
    for _, tied in groupby(eligible, key=lambda c: c.total):
        _grade(quotas, list(tied), group.quota_ties.rule, [])


def _grade(quotas: _Quotas, block: list[Card], rule: str, told: list[str]) -> None:
    """Grade units nothing separates, under `rule` if they straddle a quota; told: what the decision said so far."""
    for g in quotas.group.grades:
        room = quotas.room(g)
        if block[0].total < g.min_score or room <= 0:
            continue
        if room >= len(block):
            return _settle(quotas, block, g, told)
        told = told + [_straddle(quotas, block, g, room)]
        if rule == "share":
            over = quotas.used[g.name] + len(block) - quotas.limit[g.name]
            return _settle(quotas, block, g, told + [f"按考核办法的并列规则{RULE_NAMES['share']}，并列单位均评为「{g.name}」，"
                                                     f"超出名额{over}个"])
        if rule == "tiebreak":
            return _tiebreak(quotas, block, told)
        quotas.close(g)
        told.append(f"按考核办法的并列规则{RULE_NAMES['lower']}，并列单位均不占用「{g.name}」名额，剩余{int(room)}个名额不再使用")
    _settle(quotas, block, quotas.group.grades[-1], told)


def _tiebreak(quotas: _Quotas, block: list[Card], told: list[str]) -> None:
    """Order the tied units by the tiebreakers; those still tied after all of them are graded by the fallback rule."""
    ties = quotas.group.quota_ties
    names = "、".join(_tiebreaker_name(quotas.group, t) for t in ties.tiebreakers)
    values = {c.unit: tuple(_tiebreaker_value(c, t) for t in ties.tiebreakers) for c in block}
    ordered = sorted(block, key=lambda c: tuple(-v for v in values[c.unit]))
    shown = "；".join(f"{c.unit} {'、'.join(f'{v:.2f}' for v in values[c.unit])}" for c in ordered)
    told = told + [f"按考核办法的并列规则{RULE_NAMES['tiebreak']}，依次比较{names}（高者优先）: {shown}"]
    for _, sub in groupby(ordered, key=lambda c: values[c.unit]):
        sub = list(sub)
        still = [f"比较后{'、'.join(c.unit for c in sub)}仍然并列，按后备规则{RULE_NAMES[ties.fallback]}处理"]
        _grade(quotas, sub, ties.fallback, told + (still if len(sub) > 1 else []))
        for card in sub:
            card.grade_decision["tiebreakers"] = dict(zip(ties.tiebreakers, values[card.unit]))


def _straddle(quotas: _Quotas, block: list[Card], g: Grade, room: float) -> str:
    return (f"总分{block[0].total:.2f}分的{len(block)}个单位（{'、'.join(c.unit for c in block)}）并列，"
            f"「{g.name}」名额{quotas.limit[g.name]}个（组内{quotas.n}个单位×{g.quota:.0%}），尚余{int(room)}个")


def _settle(quotas: _Quotas, block: list[Card], g: Grade, told: list[str]) -> None:
    quotas.used[g.name] += len(block)
    rule = quotas.group.quota_ties.rule
    for card in block:
        card.grade = g.name
        if told:  # the tie straddled a quota: say how it was decided, on the card and as a line of it
            text = "；".join(told) + f"。本单位评为「{g.name}」"
            card.grade_decision = {"rule": rule, "grade": g.name, "text": text}
            card.lines.append(Line("grade", f"grades.quota_ties.{rule}", 0.0, text))


def _tiebreaker_name(group: Group, name: str) -> str:
    component, indicator = group.tiebreaker(name)
    return f"「{indicator.name if indicator else component.name}」得分"


def _tiebreaker_value(card: Card, name: str) -> float:
    key, _, indicator = name.partition(".")
    if not indicator:
        return round(card.components.get(key, {}).get("score", 0.0), 4)
    prefix = f"components.{key}.indicators.{indicator}."
    return round(sum(line.points for line in card.lines if line.rule.startswith(prefix)), 4)

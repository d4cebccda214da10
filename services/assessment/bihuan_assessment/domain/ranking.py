"""Ranking within a group, grades (grading.py), bottom-rank flags (末位) and the accountability the rules call for."""
from collections import Counter

from bihuan_assessment.domain.card import Card
from bihuan_assessment.domain.grading import assign_grades
from bihuan_assessment.domain.rules import Group


def _key(card: Card) -> tuple:
    # Vetoed units rank below the rest; in pass/fail mode failed units rank below those that passed.
    return (not card.vetoed, card.passed is not False, card.total)


def grade_and_rank(group: Group, cards: list[Card]) -> None:
    ordered = sorted(cards, key=lambda c: (_key(c), _neg(c.unit)), reverse=True)
    for i, card in enumerate(ordered):
        same = i > 0 and _key(ordered[i - 1]) == _key(card)
        card.rank = ordered[i - 1].rank if same else i + 1
    assign_grades(group, ordered)
    # A unit is at the bottom (末位) when its place, shared with the units tied with it, reaches the last
    # bottom_count places: equal totals cannot be told apart, so tied units share the flag (and the measure).
    n, last_place = len(ordered), {}
    for i, card in enumerate(ordered):
        last_place[card.rank] = i + 1
    for card in ordered:
        card.bottom = group.bottom_count > 0 and last_place[card.rank] > n - group.bottom_count
    places = Counter(card.rank for card in ordered)
    for card in ordered:
        card.proposals = _proposals(group, card, tied=places[card.rank] > 1)


def _neg(code: str) -> tuple:
    return tuple(-ord(ch) for ch in code)  # ties listed by unit code, ascending


def _proposals(group: Group, card: Card, tied: bool) -> list[dict]:
    found = []
    for r in group.accountability:
        basis = None
        if r.kind == "veto" and card.vetoed:
            basis = "一票否决: " + "；".join(line.text for line in card.lines if line.component == "veto")
        elif r.kind == "red_targets" and len(card.red_targets) > r.above:
            basis = f"红灯目标{len(card.red_targets)}个，超过{r.above}个"
        elif r.kind == "grade" and card.grade == r.grade:
            basis = f"考核等次为{card.grade}"
        elif r.kind == "bottom" and card.bottom:
            basis = f"组内排名第{card.rank}位，末位" + ("（并列）" if tied else "")
        elif r.kind == "fail" and card.passed is False:
            basis = "未达标: " + "；".join(line.text for line in card.lines
                                          if line.component == "pass_fail" and line.points == 0)
        if basis:
            found.append({"rule": r.kind, "measure": r.measure, "basis": basis, "target_ids": card.red_targets})
    return found

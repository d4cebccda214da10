"""Bonus, penalty and veto items (加减分、一票否决) and the automatic penalty for missed milestones.

Joint responsibility (条块连坐): an entry recorded against a target of a joint item, and the missed-milestone penalty
when the lag rules say so, reach the target's lead unit and every responsible unit."""
from collections import defaultdict

from bihuan_assessment.domain.card import Card
from bihuan_assessment.domain.completion import TargetOutcome
from bihuan_assessment.domain.inputs import GroupInputs
from bihuan_assessment.domain.lines import Line
from bihuan_assessment.domain.rules import Group


def apply_items(group: Group, inputs: GroupInputs, cards: dict[str, Card], outcomes: list[TargetOutcome]) -> None:
    targets = {o.target.id: o.target for o in outcomes}
    raw: dict[tuple[str, str], list[Line]] = defaultdict(list)
    for e in inputs.entries:
        item = group.item(e.item_key)
        if item is None:
            continue
        target = targets.get(e.target_id) if e.target_id else None
        units = target.units if (item.joint and target is not None) else (e.unit,)
        for unit in units:
            if unit not in cards:
                continue
            joint = "，条块连坐" if unit != e.unit else ""
            sign = 1 if item.kind == "bonus" else -1
            points = 0.0 if item.kind == "veto" else sign * abs(e.points)
            text = f"{item.name}: {e.basis}{joint}" + ("" if item.kind == "veto" else f"，{points:+g}分")
            raw[(unit, item.key)].append(Line(item.kind, f"items.{item.key}", points, text, [f"score_item:{e.id}"]))
    _auto_veto(group, outcomes, cards, raw)
    _lag_penalty(group, outcomes, cards, raw)
    for (unit, key), lines in raw.items():
        card = cards[unit]
        card.lines.extend(lines)
        if lines[0].component == "veto":
            card.vetoed = True
        cap = group.lag.penalty_cap if key == "lag.missed" else group.item(key).cap
        _cap(card, key, lines, cap)


def _auto_veto(group, outcomes, cards, raw) -> None:
    for item in (i for i in group.items if i.kind == "veto" and i.target_ids):
        for o in outcomes:
            if o.target.id in item.target_ids and o.red:
                units = o.target.units if item.joint else (o.target.lead_unit,)
                for unit in (u for u in units if u in cards):
                    text = f"{item.name}: 目标{o.target.code}「{o.target.title}」未完成，一票否决"
                    raw[(unit, item.key)].append(Line("veto", f"items.{item.key}", 0.0, text, o.sources))


def _lag_penalty(group, outcomes, cards, raw) -> None:
    lag = group.lag
    if lag.missed_penalty <= 0:
        return
    for o in outcomes:
        missed = o.count("missed")
        if not missed:
            continue
        units = o.target.units if lag.joint else (o.target.lead_unit,)
        for unit in (u for u in units if u in cards):
            joint = "，条块连坐" if unit != o.target.lead_unit else ""
            text = f"节点滞后扣分: 目标{o.target.code}「{o.target.title}」{missed}个节点未完成(非客观原因){joint}"
            raw[(unit, "lag.missed")].append(
                Line("penalty", "lag.missed_penalty", -lag.missed_penalty * missed, text, o.sources))


def _cap(card: Card, key: str, lines: list[Line], cap: float | None) -> None:
    total = sum(line.points for line in lines)
    if cap is not None and abs(total) > cap:
        excess = abs(total) - cap
        adjust = -excess if total > 0 else excess
        card.lines.append(Line(lines[0].component, f"items.{key}.cap", adjust, f"超过上限{cap:g}分，调整{adjust:+g}分"))

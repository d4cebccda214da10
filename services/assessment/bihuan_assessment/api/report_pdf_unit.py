"""One unit's section of the PDF report: the score by component, every scorecard line with its scheme rule and the
source events, vetoes, bonuses and penalties, joint responsibility (条块连坐), the grade and how it was decided, and
the accountability the scheme's rules call for. A unit that disputes a point finds here the rule and the evidence."""
from reportlab.platypus import CondPageBreak, KeepTogether, Spacer

from bihuan_assessment.api.report_pdf_style import ASCII, CELL, HEADING, SMALL, WIDTH, grid, para

ITEM_NAMES = {"bonus": "加分", "penalty": "减分", "veto": "一票否决", "pass_fail": "达标管理", "grade": "等次"}
ITEMS = ("bonus", "penalty")
JOINT = "条块连坐"  # how items.py marks a point that reached this unit through a joint target
LINE_WIDTHS = [60, 150, 40, WIDTH - 250]


def unit_section(card: dict, group_label: str) -> list:
    lines = card["lines"]
    components = card["components"]
    head = (f"第{card['rank']}名　{card['unit']} {card['name']}　总分 {card['total']:.2f}　等次 {card['grade']}"
            f"　（考核组: {group_label}）")
    story = [CondPageBreak(120), para(head, HEADING), Spacer(1, 4)]
    if components and "pass_fail" not in components:
        story += [_title("得分构成"), _components(components, card["total"]), Spacer(1, 4)]
    scored = [ln for ln in lines if ln["component"] in components or ln["component"] == "pass_fail"]
    story += [_title("计分明细（每一分的规则与依据）"), _lines(scored, components) if scored else _none(), Spacer(1, 4)]
    vetoes = [ln for ln in lines if ln["component"] == "veto"]
    story += [_title("一票否决"), _lines(vetoes, components) if vetoes else _none(), Spacer(1, 4)]
    items = [ln for ln in lines if ln["component"] in ITEMS]
    story += [_title("加减分"), _lines(items, components) if items else _none(), Spacer(1, 4)]
    joint = [ln for ln in lines if JOINT in ln["text"]]
    story += [_title("条块连坐"), _lines(joint, components) if joint else _none(), Spacer(1, 4)]
    story += [KeepTogether([_title("等次"), *_grade(card)]), Spacer(1, 14)]
    return story


def _title(text: str):
    return para(text, CELL.clone("sub", fontSize=9.5, leading=13, spaceBefore=2))


def _none():
    return para("无", SMALL)


def _component_name(key: str, components: dict) -> str:
    return components.get(key, {}).get("name") or ITEM_NAMES.get(key, key)


def _components(components: dict, total: float):
    data = [["组成部分", "权重", "得分（百分制）", "计入总分"]]
    for key, c in components.items():
        data.append([para(f"{c['name']}（{key}）"), f"{c['weight']:g}", f"{c['score']:.2f}", f"{c['points']:.2f}"])
    data.append(["合计（含加减分）", "", "", f"{total:.2f}"])
    return grid(data, [WIDTH - 210, 50, 80, 80])


def _lines(lines: list[dict], components: dict):
    data = [["组成部分", "规则", "分值", "说明与依据"]]
    for ln in lines:
        evidence = [para(ln["text"])]
        if ln["sources"]:
            evidence.append(para("依据: " + ", ".join(ln["sources"]), ASCII))
        data.append([para(_component_name(ln["component"], components)), para(ln["rule"], ASCII),
                     f"{ln['points']:+.2f}", evidence])
    data.append(["小计", "", f"{sum(ln['points'] for ln in lines):+.2f}", ""])
    return grid(data, LINE_WIDTHS)


def _grade(card: dict) -> list:
    out = [para(f"等次: {card['grade']}　组内排名: 第{card['rank']}名" +
                (f"　备注: {notes_of(card)}" if notes_of(card) else ""))]
    decision = card.get("grade_decision")
    if decision:
        out.append(para(f"等次名额并列的处理: {decision['text']}"))
    for p in card.get("proposals", []):
        out.append(para(f"问责建议（{p['measure']}）: {p['basis']}"))
    return out


def notes_of(card: dict) -> str:
    notes = (("一票否决", card["vetoed"]), ("末位", card["bottom"]), ("未达标", card["passed"] is False),
             ("并列等次", bool(card.get("grade_decision"))))
    return "、".join(n for n, on in notes if on)

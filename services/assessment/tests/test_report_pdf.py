"""The committee's PDF through the real API: after the ranking, one section per unit with every scorecard line
(component, rule, points, the source events), vetoes, bonuses and penalties, joint responsibility and the grade.
The text is read back out of the PDF (pypdf), so what is asserted is what a reader of the document sees."""
import io
import re
from datetime import date

from pypdf import PdfReader

D = date(2026, 3, 31)
ITEMS = [{"key": "supervision", "name": "督查通报", "kind": "penalty", "cap": 3, "joint": True},
         {"key": "innovation", "name": "创新加分", "kind": "bonus", "cap": 2},
         {"key": "safety", "name": "安全生产", "kind": "veto", "target_ids": ["PSAFE"]}]
GRADES = [{"name": n, "min_score": m, **({"quota": 0.34} if n == "优秀" else {})}
          for n, m in (("优秀", 90), ("良好", 80), ("合格", 60), ("不合格", 0))]
RULES = {"groups": [{"key": "all", "name": "全区组", "unit_groups": ["部门", "街镇"], "items": ITEMS, "grades": GRADES,
                     "components": [{"key": "completion", "name": "目标完成", "kind": "target_completion", "weight": 100}],
                     "accountability": [{"kind": "veto", "measure": "取消评优资格"}]}]}


def flat(pdf: bytes) -> str:
    """The document's text without the line breaks and spaces wrapping put into it."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", "", text)


def section(text: str, start: str, end: str | None) -> str:
    assert start in text, start
    after = text[text.index(start):]
    return after[:after.index(end)] if end else after


async def test_pdf_holds_every_units_lines_and_totals(make_api):
    api, feed = make_api("pdfreport")
    await feed.unit("L1", "区城管局", "部门", kind="line_department")
    await feed.unit("S1", "虹梅街道", "街镇")
    await feed.unit("S2", "田林街道", "街镇")
    for tid, title in (("PSAFE", "安全生产零事故"), ("PS2", "垃圾分类")):
        await feed.target(tid, "S2", [D], title=title)
    overdue = await feed.overdue("PSAFE", 1)
    await feed.done("PS2", 1, "on_time")
    await feed.target("PJT", "L1", [D], responsible=("S1",), title="沿河违法建筑拆除")
    done = await feed.done("PJT", 1, "on_time")
    await api.applied(feed)
    assessment = await api.open_scheme(RULES)
    r = await api.post("/score-items", {"scope": "pdfreport", "year": 2026, "items": [
        {"unit": "L1", "item_key": "supervision", "points": 2, "target_id": "PJT", "basis": "拆除进度滞后"},
        {"unit": "L1", "item_key": "supervision", "points": 2, "basis": "台账不全<附件>"},
        {"unit": "S1", "item_key": "innovation", "points": 3, "basis": "河长制创新经验被市里推广"}]})
    assert r["accepted"] == 3
    s = await api.compute(assessment)
    # L1: 100 − 2 − 2 = −4 capped at −3 -> 97.  S1: 100 − 2 (条块连坐) + 3 capped at +2 -> 100.
    # S2: PSAFE missed (0), PS2 on time (100) -> 50, vetoed by the safety item.
    assert [(u, s[u]["total"], s[u]["grade"]) for u in ("S1", "L1", "S2")] == [
        ("S1", 100.0, "优秀"), ("L1", 97.0, "良好"), ("S2", 50.0, "不合格")]

    pdf = await api.client.get(f"/api/v1/assessments/{assessment}/report.pdf", headers=api.assessor)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = flat(pdf.content)
    ranking = section(text, "考核组:全区组（all）", "各单位计分明细")
    assert "1S1虹梅街道100.00优秀" in ranking and "2L1区城管局97.00良好" in ranking
    assert "3S2田林街道50.00不合格一票否决" in ranking

    s1 = section(text, "第1名S1虹梅街道总分100.00等次优秀", "第2名L1")
    l1 = section(text, "第2名L1区城管局总分97.00等次良好", "第3名S2")
    s2 = section(text, "第3名S2田林街道总分50.00等次不合格", None)
    # L1's score by component and its completion line, naming the rule and the completion event.
    assert "目标完成（completion）100100.00100.00合计（含加减分）97.00" in l1
    assert "components.completion.milestone_points+100.00" in l1
    assert "目标PJT「沿河违法建筑拆除」权重1，按时完成1个，目标得分100.00" in l1 and done in l1.split("依据:")[1]
    # Its penalties: each entry with its basis (markup shown as written), the cap, the subtotal.
    assert "督查通报:拆除进度滞后，-2分" in l1 and "督查通报:台账不全<附件>，-2分" in l1
    assert "items.supervision.cap+1.00超过上限3分，调整+1分" in l1 and "小计-3.00" in l1
    assert "一票否决无" in l1
    # S1: the joint penalty reached it (条块连坐), the bonus capped at +2.
    joint = section(s1, "条块连坐组成部分", "等次")
    assert "督查通报:拆除进度滞后，条块连坐，-2分" in joint and "小计-2.00" in joint
    assert "创新加分:河长制创新经验被市里推广，+3分" in s1 and "items.innovation.cap-1.00" in s1
    # S2: the veto with the missed target and its overdue event, and the accountability it calls for.
    veto = section(s2, "一票否决组成部分", "加减分")
    assert "安全生产:目标PSAFE「安全生产零事故」未完成，一票否决" in veto and overdue in veto
    assert "等次:不合格组内排名:第3名备注:一票否决" in s2
    assert "问责建议（取消评优资格）:一票否决:安全生产" in s2
    assert "PJT" not in s2  # a unit's section holds only its own lines

"""Qingdao's totals, growth rates and ratio indicators per group; a veto, a joint-responsibility penalty (条块连坐),
caps and grade quotas; publication freezing the results and recording accountability."""
from datetime import date

from sqlalchemy import text

D = date(2026, 3, 31)


async def test_qingdao_growth_and_ratio_indicators_per_group(make_api):
    api, feed = make_api("qingdao")
    for code, group in (("Q1", "一类区"), ("Q2", "一类区"), ("Q3", "二类区")):
        await feed.unit(code, f"青岛{code}", group)
    await api.applied(feed)
    r = await api.post("/statistics", {"scope": "qingdao", "items": [
        {"unit": "Q1", "period": "2026", "metrics": {"gdp": 200, "fiscal_revenue": 30, "income": 50000}},
        {"unit": "Q2", "period": "2026", "metrics": {"gdp": 100, "fiscal_revenue": 20, "income": 40000}},
        {"unit": "Q1", "period": "2025", "metrics": {"gdp": 180}},
        {"unit": "Q2", "period": "2025", "metrics": {"gdp": 80}},
        {"unit": "Q3", "period": "2026", "metrics": {"income": 30000}},
        {"unit": "Q3", "period": "26", "metrics": {"gdp": 1}}]})
    assert r["accepted"] == 5 and r["errors"][0]["index"] == 5 and r["errors"][0]["field"] == "period"
    economy = {"key": "economy", "name": "物质文明", "kind": "indicators", "weight": 60, "indicators": [
        {"key": "gdp", "name": "地区生产总值", "metric": "gdp", "weight": 1, "growth_weight": 1},
        {"key": "fiscal", "name": "财政收入占GDP比重", "ratio": ["fiscal_revenue", "gdp"], "weight": 1}]}
    society = {"key": "society", "name": "精神文明", "kind": "indicators", "weight": 40, "indicators": [
        {"key": "income", "name": "居民收入", "metric": "income"}]}
    assessment = await api.open_scheme({"groups": [
        {"key": "g1", "name": "一类区", "unit_groups": ["一类区"], "components": [economy, society]},
        {"key": "g2", "name": "二类区", "unit_groups": ["二类区"], "components": [{**society, "weight": 100}]}]})
    s = await api.compute(assessment)
    # Q1: gdp 200/200 = 100, growth 11.1 % vs best 25 % = 44.44, ratio 15 % vs best 20 % = 75
    #     economy 60 × (100 + 44.44 + 75) / 300 = 43.89; society income 40 × 100 % = 40  -> 83.89
    # Q2: gdp 50, growth 100, ratio 100 -> 60 × 250 / 300 = 50; income 40 000 / 50 000 -> 32  -> 82
    assert (s["Q1"]["total"], s["Q1"]["rank"]) == (83.89, 1)
    assert (s["Q2"]["total"], s["Q2"]["rank"]) == (82.0, 2)
    assert (s["Q3"]["total"], s["Q3"]["rank"], s["Q3"]["group_key"]) == (100.0, 1, "g2")
    card = await api.card(assessment, "Q1")
    rules = {line["rule"]: line["points"] for line in card["lines"]}
    assert round(rules["components.economy.indicators.gdp.growth"], 4) == round(60 / 3 * 0.1111111 / 0.25, 4)
    assert rules["components.economy.indicators.fiscal.value"] == 15.0


JOINT_RULES = {"groups": [{
    "key": "all", "name": "全区", "unit_groups": ["部门", "街镇"],
    "components": [{"key": "completion", "name": "目标完成", "kind": "target_completion", "weight": 100}],
    "items": [{"key": "supervision", "name": "督查通报", "kind": "penalty", "cap": 3, "joint": True},
              {"key": "innovation", "name": "创新加分", "kind": "bonus", "cap": 2},
              {"key": "safety", "name": "安全生产", "kind": "veto", "target_ids": ["JSAFE"]}],
    "grades": [{"name": "优秀", "min_score": 90, "quota": 0.34}, {"name": "良好", "min_score": 80},
               {"name": "合格", "min_score": 60}, {"name": "不合格", "min_score": 0}],
    "bottom_count": 1,
    "accountability": [{"kind": "veto", "measure": "取消评优资格"}, {"kind": "bottom", "measure": "约谈"}]}]}


async def test_veto_joint_penalty_caps_quota_and_publication(make_api, db):
    api, feed = make_api("joint")
    await feed.unit("L1", "区城管局", "部门", kind="line_department")
    await feed.unit("S1", "虹梅街道", "街镇")
    await feed.unit("S2", "田林街道", "街镇")
    await feed.target("JT", "L1", [D], responsible=("S1",), title="沿河违法建筑拆除")
    await feed.done("JT", 1, "on_time")
    await feed.target("JSAFE", "S2", [D], title="安全生产零事故")
    await feed.overdue("JSAFE", 1)
    await feed.target("JS2", "S2", [D])
    await feed.done("JS2", 1, "on_time")
    await api.applied(feed)
    assessment = await api.open_scheme(JOINT_RULES)
    r = await api.post("/score-items", {"scope": "joint", "year": 2026, "items": [
        {"unit": "L1", "item_key": "supervision", "points": 2, "target_id": "JT", "basis": "督查通报: 拆除进度滞后"},
        {"unit": "L1", "item_key": "supervision", "points": 2, "basis": "督查通报: 台账不全"},
        {"unit": "S1", "item_key": "innovation", "points": 3, "basis": "河长制创新经验被市里推广"},
        {"unit": "S1", "item_key": "nonexistent", "points": 1, "basis": "不存在的加分项"},
        {"unit": "S1", "item_key": "innovation", "points": 1, "basis": ""}]})
    assert r["accepted"] == 3
    assert {(e["index"], e["field"]) for e in r["errors"]} == {(3, "item_key"), (4, "basis")}
    s = await api.compute(assessment)
    # L1: 100 − 2 (joint) − 2 = −4, capped at −3  -> 97.   S1: 100 − 2 (连坐) + 3 capped at +2  -> 100.
    # S2: JSAFE missed (0) and JS2 on time (100) -> 50, and vetoed by the safety item.
    assert [(u, s[u]["total"], s[u]["rank"], s[u]["grade"], s[u]["vetoed"]) for u in ("S1", "L1", "S2")] == [
        ("S1", 100.0, 1, "优秀", False), ("L1", 97.0, 2, "良好", False), ("S2", 50.0, 3, "不合格", True)]
    card = await api.card(assessment, "S1")
    joint = [line for line in card["lines"] if line["rule"] == "items.supervision"]
    assert len(joint) == 1 and joint[0]["points"] == -2 and "条块连坐" in joint[0]["text"]

    # Scheme frozen: an edit is refused; a what-if with a changed scheme stores nothing.
    r = await api.client.put(f"/api/v1/schemes/{api.scheme_id}", json={"name": "改", "rules": JOINT_RULES},
                             headers=api.assessor)
    assert r.status_code == 409
    no_veto = {"groups": [{**JOINT_RULES["groups"][0], "items": JOINT_RULES["groups"][0]["items"][:2]}]}
    what = await api.post(f"/assessments/{assessment}/what-if", {"rules": no_veto})
    assert {x["unit"]: x["vetoed"] for x in what["scores"]}["S2"] is False

    published = await api.post(f"/assessments/{assessment}/publish", {})
    assert published["accountability"] == 2  # S2: veto and bottom rank
    records = (await api.client.get(f"/api/v1/assessments/{assessment}/accountability", headers=api.assessor)).json()
    assert {(x["unit"], x["rule"]) for x in records} == {("S2", "veto"), ("S2", "bottom")}
    assert "安全生产" in next(x["basis"] for x in records if x["rule"] == "veto")
    manual = await api.post(f"/assessments/{assessment}/accountability",
                            {"unit": "L1", "measure": "通报批评", "basis": "督查通报两次，整改不力"}, expect=201)
    assert manual["rule"] == "manual"
    await api.post(f"/assessments/{assessment}/runs", {}, expect=409)
    await api.post("/evaluations", {"scope": "joint", "year": 2026,
                                    "items": [{"unit": "L1", "kind": "leader", "score": 1}]}, expect=409)
    async with db.connect() as conn:
        types = (await conn.execute(text("select event_type from outbox where event_type like 'assessment.%'"
                                         " and convert_from(body, 'UTF8') like '%\"scope\":\"joint\"%'"))).scalars().all()
    assert types.count("assessment.results.published") == 1
    assert types.count("assessment.accountability.recorded") == 3

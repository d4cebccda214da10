"""Qingdao: the city assesses its districts in groups with their own components and weights, each district scored
from its own data: the milestones of its linked targets (市级交办), statistics the city enters per district (growth,
ratios), the 12345 KPIs of the district's units added up (rates recomputed from the summed counts) and the city
leaders' evaluations. Hand-computed expectations in the comments."""
from datetime import date

from bihuan_assessment.event_feeder import Feeder
from bihuan_shared.testing.services import bearer

D1, D2 = date(2026, 3, 31), date(2026, 6, 30)  # due before today and as_of: not done by then is missed
CITY = "qingdao-city"
HD, LS, CY, SN, SB = "qd-huangdao", "qd-laoshan", "qd-chengyang", "qd-shinan", "qd-shibei"
NAMES = {HD: "黄岛区", LS: "崂山区", CY: "城阳区", SN: "市南区", SB: "市北区"}

CITY_TASKS = {"key": "tasks", "name": "市级交办任务完成", "kind": "city_tasks"}
LEADER = {"key": "leader", "name": "市领导评价", "kind": "evaluation", "evaluation_kind": "leader", "weight": 20}
RULES = {"groups": [
    {"key": "west", "name": "黄岛崂山城阳组", "units": [HD, LS, CY], "components": [
        {**CITY_TASKS, "weight": 50},
        {"key": "stats", "name": "经济指标", "kind": "indicators", "weight": 30, "indicators": [
            {"key": "gdp", "name": "地区生产总值", "metric": "gdp", "weight": 0, "growth_weight": 1},
            {"key": "fiscal", "name": "财政收入占GDP比重", "ratio": ["fiscal_revenue", "gdp"], "weight": 1}]},
        LEADER]},
    {"key": "inner", "name": "市内四区组", "units": [SN, SB], "components": [
        {**CITY_TASKS, "weight": 40},
        {"key": "hotline", "name": "12345热线", "kind": "indicators", "weight": 40, "indicators": [
            {"key": "sat", "name": "热线满意率", "metric": "satisfaction_rate", "source": "hotline",
             "period_kind": "month", "scoring": "rate"}]},
        LEADER],
     "grades": [{"name": "优秀", "min_score": 90, "quota": 0.5}, {"name": "良好", "min_score": 80},
                {"name": "合格", "min_score": 60}, {"name": "不合格"}]}]}


async def linked(feed: Feeder, district: str, city_target: str, weight: float, outcomes: list[str]) -> list[str]:
    """A district's linked target of a city task; each milestone on_time / early / late / missed; the event ids."""
    tid = f"{district}-{city_target}"
    ids = [await feed.target(tid, f"{district}-U1", [D1, D2][:len(outcomes)], weight=weight, title=city_target,
                             origin=city_target)]
    for n, how in enumerate(outcomes, 1):
        ids.append(await (feed.overdue(tid, n) if how == "missed" else feed.done(tid, n, how)))
    return ids


async def test_qingdao_city_scores_its_districts_in_groups(make_api):
    api, city = make_api(CITY)
    other_api, other_city = make_api("yantai")          # another city and its district: never Qingdao's
    await city.city()
    await other_city.city()
    await other_city.district("yt-zhifu", "芝罘区")
    for code, name in NAMES.items():
        await city.district(code, name)
    feeds = {code: make_api.feeder(code) for code in NAMES}
    # 黄岛: CT1 (weight 2) on time + late = (100 + 60) / 2 = 80; CT2 (weight 1) early = 100
    #       -> (2×80 + 100) / 3 = 86.667, × 50% = 43.333. Its own target (no city origin) missed: not counted.
    hd_ct1 = await linked(feeds[HD], HD, "qd-CT1", 2, ["on_time", "late"])
    await linked(feeds[HD], HD, "qd-CT2", 1, ["early"])
    await feeds[HD].target("HD-OWN", f"{HD}-U1", [D1], title="区自定目标")
    await feeds[HD].overdue("HD-OWN", 1)
    # 崂山: CT1 100, CT2 missed 0 -> (200 + 0) / 3 = 66.667, × 50% = 33.333
    await linked(feeds[LS], LS, "qd-CT1", 2, ["on_time", "on_time"])
    await linked(feeds[LS], LS, "qd-CT2", 1, ["missed"])
    # 城阳: CT1 (60 + 0) / 2 = 30, CT2 100 -> (60 + 100) / 3 = 53.333, × 50% = 26.667
    await linked(feeds[CY], CY, "qd-CT1", 2, ["late", "missed"])
    await linked(feeds[CY], CY, "qd-CT2", 1, ["on_time"])
    # 市南: CT1 100 -> 40; 市北: CT1 early + late = 80 -> 32
    await linked(feeds[SN], SN, "qd-CT1", 2, ["on_time", "on_time"])
    await linked(feeds[SB], SB, "qd-CT1", 2, ["early", "late"])
    # 12345 per unit in the district's own scope. 市南: 90 of 100 rated + 5 of 10 = 95 / 110 = 86.36% (the mean of
    # the units' rates would be 70%) -> 40 × 0.86364 = 34.545; 市北: 40 / 50 = 80% -> 32.
    hot = [await feeds[SN].metrics(f"{SN}-U1", "2026-03", {"satisfaction_rate": 0.9}, source="hotline",
                                   counts={"records": 120, "closed": 110, "rated": 100, "repeats": 4}),
           await feeds[SN].metrics(f"{SN}-U2", "2026-03", {"satisfaction_rate": 0.5}, source="hotline",
                                   counts={"records": 12, "closed": 11, "rated": 10, "repeats": 0})]
    await feeds[SB].metrics(f"{SB}-U1", "2026-03", {"satisfaction_rate": 0.8}, source="hotline",
                            counts={"records": 60, "closed": 55, "rated": 50, "repeats": 1})

    class Sent:  # every feeder of this test, so the wait covers them all
        sent = city.sent + other_city.sent + sum(f.sent for f in feeds.values())
    await api.applied(Sent)

    # Groups list the city's registered districts only: another city's district and an unknown code are refused.
    bad = {"groups": [{**RULES["groups"][0], "units": [HD, "yt-zhifu", "qd-nowhere"]},
                      {**RULES["groups"][1], "units": [SN, HD]}]}
    r = await api.client.post("/api/v1/schemes", json={"scope": CITY, "year": 2026, "name": "错", "rules": bad},
                              headers=api.assessor)
    assert r.status_code == 422 and r.json()["error"] == "scheme_units_invalid", r.text
    assert {d["field"] for d in r.json()["details"]} == {
        "body.rules.groups.0.units.1", "body.rules.groups.0.units.2", "body.rules.groups.1.units.1"}
    district_office = bearer(api.settings, "assessor", scope=HD)
    r = await api.client.post("/api/v1/schemes", json={"scope": CITY, "year": 2026, "name": "x", "rules": RULES},
                              headers=district_office)
    assert r.status_code == 403
    assessment = await api.open_scheme(RULES)

    # Statistics per district, entered by the city (2025 and 2026 for the growth); a non-district is refused.
    # Growth of GDP: 黄岛 10%, 崂山 8%, 城阳 5% -> relative to the best 100, 80, 50.
    # Fiscal revenue / GDP: 0.1, 0.15, 0.0714 -> relative 66.667, 100, 47.619.
    # stats component (weights 1 + 1): 黄岛 83.333 -> 25.0; 崂山 90 -> 27.0; 城阳 48.810 -> 14.643
    r = await api.post("/statistics", {"scope": CITY, "items": [
        {"unit": HD, "period": "2025", "metrics": {"gdp": 1000}},
        {"unit": HD, "period": "2026", "metrics": {"gdp": 1100, "fiscal_revenue": 110}},
        {"unit": LS, "period": "2025", "metrics": {"gdp": 500}},
        {"unit": LS, "period": "2026", "metrics": {"gdp": 540, "fiscal_revenue": 81}},
        {"unit": CY, "period": "2025", "metrics": {"gdp": 800}},
        {"unit": CY, "period": "2026", "metrics": {"gdp": 840, "fiscal_revenue": 60}},
        {"unit": "yt-zhifu", "period": "2026", "metrics": {"gdp": 1}}]})
    assert r["accepted"] == 6 and [(e["index"], e["field"]) for e in r["errors"]] == [(6, "unit")]
    # 市长's evaluation: 90 / 80 / 70 / 80 / 100 -> 18 / 16 / 14 / 16 / 20; a non-district is refused by index.
    mayor = bearer(api.settings, "leader", scope=CITY, user="市长")
    r = await api.post("/evaluations", {"scope": CITY, "year": 2026, "items": [
        {"unit": HD, "kind": "leader", "score": 90}, {"unit": LS, "kind": "leader", "score": 80},
        {"unit": CY, "kind": "leader", "score": 70}, {"unit": SN, "kind": "leader", "score": 80},
        {"unit": SB, "kind": "leader", "score": 100}, {"unit": "yt-zhifu", "kind": "leader", "score": 100}]},
        headers=mayor)
    assert r["accepted"] == 5 and [(e["index"], e["field"]) for e in r["errors"]] == [(5, "unit")]

    scores = await api.compute(assessment)
    assert set(scores) == set(NAMES)
    assert scores[HD]["total"] == 86.33      # 43.333 + 25.0 + 18
    assert scores[LS]["total"] == 76.33      # 33.333 + 27.0 + 16
    assert scores[CY]["total"] == 55.31      # 26.667 + 14.643 + 14
    assert scores[SN]["total"] == 90.55      # 40 + 34.545 + 16
    assert scores[SB]["total"] == 84.0       # 32 + 32 + 20
    assert [(scores[d]["group_key"], scores[d]["rank"], scores[d]["grade"]) for d in (HD, LS, CY, SN, SB)] == [
        ("west", 1, "良好"), ("west", 2, "合格"), ("west", 3, "不合格"), ("inner", 1, "优秀"), ("inner", 2, "良好")]
    assert scores[HD]["name"] == "黄岛区" and scores[HD]["components"]["tasks"]["points"] == 43.3333

    card = await api.card(assessment, HD)
    assert round(sum(line["points"] for line in card["lines"]), 2) == 86.33
    tasks = [line for line in card["lines"] if line["component"] == "tasks"]
    assert len(tasks) == 2 and all(line["rule"] == "components.tasks.city_tasks.milestone_points" for line in tasks)
    assert "市级交办目标" in tasks[0]["text"] and "逾期60" in tasks[0]["text"]     # the rule, stated on the line
    assert set(hd_ct1) <= {s for line in tasks for s in line["sources"]}        # planning's and execution's events
    assert not any("HD-OWN" in line["text"] for line in card["lines"])
    sn = await api.card(assessment, SN)
    hotline = next(line for line in sn["lines"] if line["component"] == "hotline")
    assert "86.36%" in hotline["text"] and set(hot) <= set(hotline["sources"])

    # Who reads the city's ranking: its own assessor; not a district's assessor, not another city's.
    for headers, expected in ((api.assessor, 200), (district_office, 403), (other_api.assessor, 403)):
        r = await api.client.get(f"/api/v1/assessments/{assessment}/results", headers=headers)
        assert r.status_code == expected, r.text
        r = await api.client.get(f"/api/v1/assessments/{assessment}/scorecards/{HD}", headers=headers)
        assert r.status_code == expected, r.text
    for headers in (district_office, other_api.assessor):
        r = await api.client.post("/api/v1/statistics", json={"scope": CITY, "items": []}, headers=headers)
        assert r.status_code == 403
        r = await api.client.post(f"/api/v1/assessments/{assessment}/what-if", json={"rules": RULES}, headers=headers)
        assert r.status_code == 403
        r = await api.client.put(f"/api/v1/schemes/{api.scheme_id}", json={"name": "x", "rules": RULES},
                                 headers=headers)
        assert r.status_code == 403
        r = await api.client.get("/api/v1/schemes", params={"scope": CITY}, headers=headers)
        assert r.status_code == 403
    # The city's what-if reads the same district data: the groups' weights swapped, nothing stored.
    swapped = {"groups": [RULES["groups"][0], {**RULES["groups"][1], "components": [
        {**CITY_TASKS, "weight": 20}, RULES["groups"][1]["components"][1], {**LEADER, "weight": 40}]}]}
    r = await api.post(f"/assessments/{assessment}/what-if", {"rules": swapped})
    # 市北: 20 × 80% + 32 + 40 × 100% = 88
    assert {s["unit"]: s["total"] for s in r["scores"]}[SB] == 88.0

    r = await api.client.post(f"/api/v1/assessments/{assessment}/publish", json={}, headers=api.assessor)
    assert r.status_code == 200, r.text
    r = await api.client.get(f"/api/v1/assessments/{assessment}/results", headers=api.assessor)
    assert r.json()["published"] and {s["unit"]: s["rank"] for s in r.json()["scores"]}[SN] == 1

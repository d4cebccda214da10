"""The city's 考核办 in the console: a city with two districts and an opened city scheme (set up through the API, as
the city office and planning would leave it); the city assessor enters a district's statistics on the 统计数据 tab,
recomputes, and reads the ranking of its districts and a district's scorecard. Hand-computed figures below."""
import asyncio
import uuid

import httpx
import pytest

pytestmark = pytest.mark.browser

RULES = {"groups": [{"key": "all", "name": "全市各区", "units": [], "components": [
    {"key": "stats", "name": "经济指标", "kind": "indicators", "weight": 60, "indicators": [
        {"key": "gdp", "name": "地区生产总值", "metric": "gdp", "weight": 0, "growth_weight": 1}]},
    {"key": "leader", "name": "市领导评价", "kind": "evaluation", "evaluation_kind": "leader", "weight": 40}]}]}


async def _token(http: httpx.AsyncClient, role: str, scope: str) -> dict:
    r = await http.post("/auth/dev-login", json={"role": role, "scope": scope})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def _city_scheme(console, city: str, d1: str, d2: str, year: int) -> None:
    async with httpx.AsyncClient(base_url=console.url, timeout=20) as http:
        office, assessor = await _token(http, "target_office", city), await _token(http, "assessor", city)
        for code, body in ((city, {"name": "示范市", "kind": "city"}),
                           (d1, {"name": "甲区", "kind": "district", "parent": city}),
                           (d2, {"name": "乙区", "kind": "district", "parent": city})):
            r = await http.put(f"/api/planning/scopes/{code}", json=body, headers=office)
            assert r.status_code == 200, r.text
        rules = {"groups": [{**RULES["groups"][0], "units": [d1, d2]}]}
        for _ in range(100):  # until assessment has learnt the districts from planning's events
            r = await http.post("/api/assessment/schemes", headers=assessor,
                                json={"scope": city, "year": year, "name": "市对区考核办法", "rules": rules})
            if r.status_code != 422:
                break
            await asyncio.sleep(0.3)
        assert r.status_code == 201, r.text
        r = await http.post(f"/api/assessment/schemes/{r.json()['id']}/open", json={}, headers=assessor)
        assert r.status_code == 200, r.text
        # GDP growth: 甲区 100 -> 110 (10 %), 乙区 200 -> 210 (5 %, its 2026 figure entered in the browser below)
        # -> relative to the best 100 and 50 -> 60 and 30 points; 市长 70 and 100 -> 28 and 40.
        # 甲区 88, 乙区 70.
        r = await http.post("/api/assessment/statistics", headers=assessor, json={"scope": city, "items": [
            {"unit": d1, "period": str(year - 1), "metrics": {"gdp": 100}},
            {"unit": d1, "period": str(year), "metrics": {"gdp": 110}},
            {"unit": d2, "period": str(year - 1), "metrics": {"gdp": 200}}]})
        assert r.status_code == 200 and r.json()["accepted"] == 3, r.text
        r = await http.post("/api/assessment/evaluations", headers=assessor, json={
            "scope": city, "year": year, "items": [
            {"unit": d1, "kind": "leader", "evaluator": "市长", "score": 70},
            {"unit": d2, "kind": "leader", "evaluator": "市长", "score": 100}]})
        assert r.status_code == 200 and r.json()["accepted"] == 2, r.text


async def test_the_city_assessor_ranks_its_districts(page, console, login, shot):
    city = f"kh{uuid.uuid4().hex[:6]}"
    d1, d2 = f"{city}-a", f"{city}-b"
    year = await page.evaluate("new Date().getFullYear()")
    await _city_scheme(console, city, d1, d2, year)

    await login(page, console, "考核办", scope=city)
    await page.click("[data-menu=assessment]")
    await page.wait_for_selector("[data-test=city-assessment]")
    await page.click(".el-tabs__item >> text=统计数据")
    await page.click("[data-test=stat-unit]")
    await page.click(".el-select-dropdown__item:visible >> text=乙区")
    await page.fill("input[name=stat-period]", str(year))
    await page.fill("input[name=stat-metric]", "gdp")
    await page.fill("[data-test=statistics-form] .el-input-number input", "210")
    await page.click("[data-test=save-statistic]")
    await page.wait_for_selector("text=统计数据已录入")

    await page.click(".el-tabs__item >> text=排名与等次")
    await page.click("text=重新计算")
    rows = page.locator("[data-test=ranking] .el-table__body tr")
    await rows.nth(1).wait_for()
    assert [t.split()[:3] for t in await rows.all_inner_texts()] == [
        ["1", "甲区", "88.00"], ["2", "乙区", "70.00"]]
    await page.wait_for_timeout(400)
    await shot(page, "60-city-ranks-its-districts")
    await rows.nth(1).click()
    card = page.locator("[data-test=scorecard]")
    await card.wait_for()
    await page.wait_for_selector("text=得分说明：乙区")
    await page.click("[data-test=scorecard] >> text=经济指标")
    await page.wait_for_selector("[data-test=scorecard] >> text=地区生产总值增幅 5.00%")
    await page.wait_for_timeout(400)  # the panel slides open
    await shot(page, "61-city-district-scorecard")
    await page.keyboard.press("Escape")
    await page.click(".el-tabs__item >> text=考核办法")
    await page.wait_for_selector("text=甲区、乙区")

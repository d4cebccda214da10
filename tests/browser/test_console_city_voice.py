"""A city's supervision office reads the city-wide 12345 feed on the 热线与窗口 page: the city's figures, added up from
its districts, and one row per district. The city office registers its districts in the console; the hotline center
(a machine, so by the API) sends one city-wide batch."""
import uuid

import httpx
import pytest

from bihuan_shared.testing.services import bearer, eventually
from bihuan_supervision.sample_orders import order, step
from bihuan_supervision.settings import SupervisionSettings

pytestmark = pytest.mark.browser

CLOSED = [step("受理", "2026-03-02T09:00:00+08:00"), step("签收", "2026-03-02T10:00:00+08:00"),
          step("办结", "2026-03-05T10:00:00+08:00")]


async def test_a_city_reads_the_city_wide_feed_per_district(page, console, login, register_own, shot):
    city = f"vc{uuid.uuid4().hex[:6]}"
    await login(page, console, "目标办", scope=city)
    await register_own(page, "热线示范市", city=True)
    for code, name in ((f"{city}-a", "东区"), (f"{city}-b", "西区")):
        await page.fill("input[name=district-code]", code)
        await page.fill("input[name=district-name]", name)
        await page.click("[data-test=register-district]")
        await page.wait_for_selector(f"[data-test=districts] >> text={code}")

    # 东区 three orders (two satisfied of two rated), 西区 one (rated unsatisfied); one for no district is refused
    batch = [order(f"{city}-1", district="东区", status_history=CLOSED, resolved=True, satisfaction="满意"),
             order(f"{city}-2", district=f"{city}-a", status_history=CLOSED, resolved=True, satisfaction="非常满意"),
             order(f"{city}-3", district="东区"),
             order(f"{city}-4", district="西区", status_history=CLOSED, resolved=False, satisfaction="不满意"),
             order(f"{city}-5", district="北区")]
    feed = bearer(SupervisionSettings(), "feed", scope=city, user=f"12345-center@{city}")

    async def routed():  # supervision learns the districts from planning's events, asynchronously
        async with httpx.AsyncClient(timeout=10) as http:
            r = await http.post(f"{console.services['supervision']}/api/v1/feeds/hotline/records", json=batch,
                                headers=feed)
        assert r.status_code == 200 and r.json()["stored"] + r.json()["unchanged"] == 4, r.text
        assert [(e["index"], e["field"]) for e in r.json()["errors"]] == [(4, "district")]
    await eventually(routed, timeout=30)

    async def city_knows_its_districts():  # a city token's districts are cached for a few seconds per process
        async with httpx.AsyncClient(timeout=10) as http:
            r = await http.get(f"{console.services['supervision']}/api/v1/metrics/units", params={"period": "2026"},
                               headers=bearer(SupervisionSettings(), "supervisor", scope=city))
        assert r.status_code == 200 and r.json()["total"]["records"] == 4, r.text
    await eventually(city_knows_its_districts, timeout=30)

    await login(page, console, "督查室", scope=city)
    await page.click("[data-menu=voice]")
    await page.wait_for_selector("[data-test=orders-total] >> text=4")
    rows = "[data-test=voice-districts] .el-table__body tr"
    await page.wait_for_selector(f"{rows} >> text=东区")
    east = page.locator(rows, has_text="东区")
    west = page.locator(rows, has_text="西区")
    assert (await east.locator("td").nth(1).inner_text()).strip() == "3"
    assert (await east.locator("td").nth(5).inner_text()).strip() == "100.0%"  # 2 satisfied / 2 rated
    assert (await west.locator("td").nth(1).inner_text()).strip() == "1"
    assert (await west.locator("td").nth(5).inner_text()).strip() == "0.0%"
    await page.wait_for_selector("text=66.7%")  # the city: 2 satisfied / 3 rated, not the mean of 100% and 0%
    await shot(page, "46-city-reads-the-city-wide-feed-per-district")

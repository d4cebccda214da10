"""A new city's target office, starting from nothing: it registers its city and a district in the console, then sees
the district it registered. No API call is made by the test."""
import uuid

import pytest

pytestmark = pytest.mark.browser


async def test_a_city_office_registers_its_city_and_a_district(page, console, login, register_own, shot):
    city = f"city{uuid.uuid4().hex[:6]}"
    await login(page, console, "目标办", scope=city)
    await register_own(page, "示范市", city=True)

    await page.fill("input[name=district-code]", f"{city}-hd")
    await page.fill("input[name=district-name]", "黄岛区")
    await page.click("[data-test=register-district]")
    await page.wait_for_selector(f"[data-test=districts] >> text={city}-hd")
    await page.wait_for_selector("[data-test=districts] >> text=黄岛区")
    await shot(page, "40-city-registers-a-district")


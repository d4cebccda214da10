"""A district's target office reads its audit trail in the console: what it just did, by whom, with the change, and
nothing of another district. No API call is made by the test."""
import uuid

import pytest

pytestmark = pytest.mark.browser


async def test_a_target_office_reads_what_it_just_did_in_the_audit_log(page, console, login, register_own, shot):
    district = f"d{uuid.uuid4().hex[:6]}"
    await login(page, console, "目标办", scope=district)
    await register_own(page, "审计示范区")

    await page.click("[data-menu=audit]")
    row = "[data-test=audit-records] .el-table__body tr"
    await page.wait_for_selector(f"{row} >> text=辖区 登记")
    await page.wait_for_selector(f"{row} >> text=scope.registered")
    await page.wait_for_selector(f"{row} >> text=scope {district}")
    await page.wait_for_selector(f"{row} >> text=目标办")
    await page.click(f"{row} .el-table__expand-icon")
    await page.wait_for_selector("text=审计示范区")  # the registered name, in the record's "after"
    await shot(page, "45-target-office-reads-its-audit-log")

    await page.fill("input[name=audit-action]", "evidence.")
    await page.click("[data-test=audit-search]")
    await page.wait_for_selector("text=没有符合条件的记录")

"""The city tier in the console, from nothing: a new city's target office registers its city and a district, imports
its directory, creates a city task and decomposes it to the district, publishes it; the district's office finds the
task placed in its book, names its lead unit and publishes it; the district's reporter reports; the city office sees
the district's progress roll up to the city figure. No API call is made by the test."""
import uuid

import pytest

from bihuan_planning.samples import directory_workbook

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _import_directory(page) -> None:
    await page.click("[data-menu=directory]")
    await page.click("text=Excel 导入")
    dialog = page.locator(".el-dialog:visible")
    await dialog.locator("input[type=file]").set_input_files(
        {"name": "单位目录.xlsx", "mimeType": XLSX, "buffer": directory_workbook()})
    await dialog.locator("[data-test=dry-run]").click()
    await dialog.locator("[data-test=dry-run-ok]").wait_for()
    await dialog.locator("[data-test=confirm-import]").click()
    await page.wait_for_selector("text=导入完成")


async def _publish_book(page) -> None:
    await page.click("[data-menu=book]")
    await page.click("[data-test=publish-all]")
    await page.click(".el-message-box__btns >> text=确定")
    await page.wait_for_selector("text=已发布 1 项目标")


async def test_a_city_task_is_decomposed_published_reported_and_rolled_up(page, console, login, register_own, shot,
                                                                         create_target):
    city = f"city{uuid.uuid4().hex[:6]}"
    district = f"{city}-a"
    year = await page.evaluate("new Date().getFullYear()")

    await login(page, console, "目标办", scope=city)
    await register_own(page, "示范市", city=True)
    await page.fill("input[name=district-code]", district)
    await page.fill("input[name=district-name]", "甲区")
    await page.click("[data-test=register-district]")
    await page.wait_for_selector("[data-test=districts] >> text=甲区")
    await _import_directory(page)

    await page.click("[data-menu=book]")
    await page.click("text=新建目标")
    await create_target(page, "SJ-1", "新增城市绿道100公里", "区绿化市容局", "100", f"{year}-12-31")
    await page.click(".el-table__expand-icon >> nth=0")
    await page.click("[data-test=book-table] >> text=新增城市绿道100公里")

    await page.wait_for_selector("[data-test=city-task]")
    await page.click(f"[data-test=assign-{district}]")
    await page.fill(f"input[name=share-{district}]", "100")
    await page.click("[data-test=save-assignments]")
    await page.wait_for_selector("text=分解方案已保存")
    await shot(page, "50-city-decomposes-a-task")
    await _publish_book(page)

    await login(page, console, "目标办", scope=district)
    await _import_directory(page)
    await page.click("[data-menu=city-tasks]")
    await page.click("[data-test=linked-tasks] >> text=新增城市绿道100公里")
    await page.wait_for_selector("[data-test=linked-task]")
    await page.click("[data-test=linked-lead]")
    await page.click(".el-select-dropdown__item:visible >> text=区绿化市容局")
    await page.click("[data-test=save-lead]")
    await page.wait_for_selector("text=已指定牵头单位")
    await _publish_book(page)

    await login(page, console, "单位填报员", unit="XH-LHSR", scope=district)
    await page.wait_for_selector("[data-test=my-targets] >> text=绿道")
    await page.wait_for_selector(".el-loading-mask", state="detached")
    await page.click("[data-test=report] >> nth=0")
    report = page.locator(".el-dialog:visible")
    await report.locator("textarea").fill("已建成绿道40公里。")
    await report.locator(".el-input-number input").fill("40")
    await report.locator("[data-test=submit-report]").click()
    await page.wait_for_selector("text=已报送")

    await login(page, console, "目标办", scope=city)
    await page.click("[data-menu=city-tasks]")
    await page.wait_for_selector("[data-test=city-tasks] >> text=40 / 100")
    await page.wait_for_selector("[data-test=city-tasks] >> text=（40%）")
    await page.wait_for_selector("[data-test=city-tasks] >> text=正常 1")
    await page.wait_for_timeout(400)  # the tags fade in
    await shot(page, "51-city-sees-the-district-roll-up")
    await page.click("[data-test=city-tasks] >> text=新增城市绿道100公里")
    await page.wait_for_selector("[data-test=rollup-table] >> text=甲区")
    await page.wait_for_selector("[data-test=city-achieved] >> text=40")
    await shot(page, "52-city-task-roll-up")

    await page.click("[data-menu=city-board]")
    await page.wait_for_selector("[data-test=city-districts] >> text=甲区")
    await page.click("[data-test=city-districts] >> text=甲区")
    await page.wait_for_selector("[data-test=district-drill] >> text=新增城市绿道100公里")
    await page.wait_for_timeout(400)
    await shot(page, "53-city-board-drills-into-a-district")


async def test_the_demo_city_shows_its_districts_and_rolled_up_tasks(page, console, login, shot):
    """`make up` seeds 示范市 above the demo district: three districts, two city tasks, the first quarter reported in
    two districts (8 + 5 of the first task's 100), 浦东 not yet having published the second task."""
    await page.goto(console.url + "/login")
    await page.click("[data-test=scope-hint] >> text=示范市 democity")
    await page.wait_for_selector("[data-test=scope-hint] >> text=市级辖区「示范市」")
    await page.wait_for_selector("[data-test=scope-hint] >> text=闵行区")
    await shot(page, "55-login-offers-the-city")
    await login(page, console, "目标办", scope="democity")
    await page.click("[data-menu=city-board]")
    for name in ("演示区（徐汇）", "闵行区", "浦东新区"):
        await page.wait_for_selector(f"[data-test=city-districts] >> text={name}")
    await page.click("[data-menu=city-tasks]")
    await page.wait_for_selector("[data-test=city-tasks] >> text=13 / 100")
    await page.wait_for_selector("[data-test=city-tasks] >> text=未发布 1")
    await page.wait_for_timeout(400)
    await shot(page, "54-demo-city-tasks")

    await login(page, console, "考核办", scope="democity")
    await page.click("[data-menu=assessment]")
    await page.wait_for_selector("text=市对区考核")
    await page.wait_for_selector("text=浦东新区")
    await page.wait_for_timeout(400)
    await shot(page, "56-demo-city-assesses-its-districts")

    # the city-wide 12345 stream the demo sent, routed to its districts
    await login(page, console, "督查室", scope="democity")
    await page.click("[data-menu=voice]")
    await page.wait_for_selector("text=浦东新区")
    await page.wait_for_timeout(400)
    await shot(page, "57-demo-city-hotline-by-district")

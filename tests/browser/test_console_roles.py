"""Each role logs in to the console and does its main task end to end, on the demo district, in headless Chromium.
Screenshots of every step are saved under $BIHUAN_ARTIFACTS/browser/."""

import io

import pytest

pytestmark = pytest.mark.browser


async def test_login_page_offers_roles_and_validates(page, console, login, shot):
    await page.goto(console.url + "/")
    await page.wait_for_selector("text=政府目标管理平台")
    await page.click("[data-test=role]")
    await page.click(".el-select-dropdown__item:visible >> text=单位填报员")
    await page.click("[data-test=login]")
    # Inline validation: a unit reporter must pick a unit before a token is minted.
    await page.wait_for_selector("text=单位填报员须选择所属单位")
    await shot(page, "00-login-validation")


async def test_target_office_sees_the_book_creates_and_publishes_a_target(page, console, login, shot,
                                                                        create_target):
    await login(page, console, "目标办")
    await page.wait_for_selector("[data-test=total-targets]")
    await page.wait_for_function("document.querySelector('[data-test=total-targets]').innerText.trim() !== '0 / 0'")
    # Milestone statuses arrive in one answer from supervision's read model (the demo reports the first quarter).
    await page.wait_for_function("document.querySelector('[data-test=q1-milestones]').innerText.trim() !== '0 / 0'")
    await shot(page, "01-office-overview")

    await page.click("[data-menu=book]")
    await page.wait_for_selector("text=科技创新")
    await page.click(".el-table__expand-icon >> nth=0")  # open an area: key tasks, then their sub-items
    await page.wait_for_selector("text=每万人口发明专利拥有量达到69件")
    await shot(page, "02-office-target-book")

    await page.click("text=新建目标")
    dialog = page.locator(".el-dialog:visible")
    await dialog.locator("text=保存草稿").click()
    await dialog.locator("text=请输入目标编号").wait_for()  # inline validation before anything is sent
    await create_target(page, "2099-BT-01", "浏览器测试：新建口袋公园3座", "区绿化和市容管理局", "3",
                        f"{await _year(page)}-12-31")

    await page.click("[data-test=publish-all]")
    await page.click(".el-message-box__btns >> text=确定")
    await page.wait_for_selector("text=已发布 1 项目标")
    await page.fill("input[placeholder=搜索目标名称]", "浏览器测试")
    await page.press("input[placeholder=搜索目标名称]", "Enter")
    await page.click(".el-table__expand-icon >> nth=0")
    await page.wait_for_selector("[data-test=book-table] >> text=已发布")
    await shot(page, "03-office-published")


async def _year(page) -> int:
    return await page.evaluate("new Date().getFullYear()")


async def test_unit_reporter_reports_progress_with_evidence(page, console, login, shot):
    await login(page, console, "单位填报员", unit="U-ZSCQ")
    await page.wait_for_selector("[data-test=my-targets] >> text=发明专利")
    await page.wait_for_selector(".el-loading-mask", state="detached")
    await shot(page, "04-reporter-my-targets")
    await page.click("[data-test=report] >> nth=0")
    dialog = page.locator(".el-dialog:visible")
    await dialog.locator("text=提交").click()
    await dialog.locator("text=请简要说明进展情况").wait_for()
    await dialog.locator("textarea").fill("已完成本月专利导航服务，新增发明专利授权。")
    value = dialog.locator(".el-input-number input")
    if await value.count():
        await value.fill("66")
    await dialog.locator("[data-test=evidence] input[type=file]").set_input_files(
        {"name": "佐证材料.txt", "mimeType": "text/plain", "buffer": "专利授权清单\n".encode()})
    await dialog.locator(".el-upload-list__item.is-success").wait_for()
    await shot(page, "05-reporter-progress-form")
    await dialog.locator("[data-test=submit-report]").click()
    await page.wait_for_selector("text=已报送")
    await shot(page, "06-reporter-reported")


async def test_leader_opens_the_dashboard(page, console, login, shot):
    await login(page, console, "分管领导", leader="王建国")
    await page.wait_for_selector("[data-test=leader-targets] .el-table__row")
    await page.wait_for_selector(".el-loading-mask", state="detached")
    green = int(await page.inner_text("[data-test=light-green]"))
    assert green > 0
    await shot(page, "07-leader-dashboard")
    await page.click("[data-test=leader-targets] .el-table__row a >> nth=0")
    await page.wait_for_selector("[data-test=detail-milestones] .el-table__row")
    await shot(page, "08-leader-target-detail")


async def test_supervisor_reads_the_citizens_voice_per_category_and_unit(page, console, login, shot):
    await login(page, console, "督查室")
    await page.click("[data-menu=voice]")
    await page.wait_for_selector("[data-test=voice-topics] .el-table__row")
    await page.wait_for_selector("[data-test=voice-units] .el-table__row")
    assert int(await page.inner_text("[data-test=orders-total]")) > 0
    second = page.locator("[data-test=voice-topics] .el-table__row >> nth=1")
    topic = (await second.locator("td >> nth=0").inner_text()).strip()
    await second.click()  # that category's months
    await page.wait_for_selector(f"text=“{topic}”")
    await shot(page, "09b-supervisor-voice")


async def test_supervisor_issues_an_order(page, console, login, shot):
    if not any(p.rstrip("/").endswith("/orders") for p in console.openapi_paths("supervision")):
        pytest.skip("supervision offers no supervision-order API yet")
    await login(page, console, "督查室")
    await page.click("text=督办单")
    await issue_order_about(page, "发明专利")
    await page.wait_for_selector("[data-test=orders] .el-table__row")
    await shot(page, "09-supervisor-order")


async def issue_order_about(page, target_words: str) -> None:
    """The supervision office issues an order about the first target whose title holds target_words."""
    await page.click("[data-test=new-order]")
    dialog = page.locator(".el-dialog:visible")
    await dialog.locator("[data-test=order-target]").click()
    await page.keyboard.type(target_words)
    await page.click(".el-select-dropdown__item:visible >> nth=0")
    await dialog.locator("[data-test=issue-order]").click()
    await page.wait_for_selector("text=督办单已签发")


async def test_assessor_views_ranking_and_a_scorecard(page, console, login, shot):
    await login(page, console, "考核办")
    await page.wait_for_selector("[data-test=ranking] .el-table__row")
    assert "未发布" in await page.inner_text("[data-test=assessment-status]")
    await shot(page, "10-assessor-ranking")
    await page.click("[data-test=ranking] .el-table__row >> nth=0")
    await page.wait_for_selector("[data-test=scorecard] >> text=目标完成")
    await page.click("[data-test=scorecard] .el-collapse-item__header >> nth=0")
    await page.wait_for_selector("[data-test=scorecard] >> text=components.completion")  # the scheme rule behind a point
    await shot(page, "11-assessor-scorecard")
    await page.keyboard.press("Escape")
    await page.click("text=发布结果")
    await page.click(".el-message-box__btns >> text=确定")
    await page.wait_for_selector("[data-test=assessment-status] >> text=已发布")
    await shot(page, "15-assessor-published")


def _book_workbook(rows: list[list]) -> bytes:
    """A target book in the common layout target offices use (title row, header row, one row per target)."""
    from openpyxl import Workbook

    header = ["序号", "方面", "目标名称", "具体事项", "工作措施", "一季度", "二季度", "三季度", "四季度",
              "牵头部门", "责任部门", "配合部门", "分管领导", "类别", "来源", "指标值", "单位", "权重"]
    wb = Workbook()
    ws = wb.active
    ws.append(["浏览器测试目标书"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD = ["2099-IM-01", "营商环境", "浏览器导入：新建企业服务驿站6个", "", "", "", "2", "4", "6", "区商务委员会",
        "", "", "王建国", "重点工作", "区级", "6", "个", "1"]
BAD = ["2099-IM-02", "营商环境", "浏览器导入：错误示例", "", "", "", "1", "2", "3", "不存在的委办局",
       "", "", "王建国", "重点工作", "区级", "3", "个", "1"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_target_office_imports_a_book_after_a_dry_run(page, console, login, shot):
    await login(page, console, "目标办")
    await page.click("[data-menu=book]")
    await page.wait_for_selector("text=科技创新")
    await page.click("[data-test=open-import]")
    dialog = page.locator(".el-dialog:visible")
    upload = dialog.locator("input[type=file]")
    await upload.set_input_files({"name": "目标书.xlsx", "mimeType": XLSX, "buffer": _book_workbook([GOOD, BAD])})
    await dialog.locator("[data-test=dry-run]").click()
    # The dry run names the sheet, row and column of every problem and imports nothing.
    problems = dialog.locator("[data-test=dry-run-problems]")
    await problems.locator("text=不存在的委办局").wait_for()
    assert "4" in await problems.locator(".el-table__row").first.inner_text()
    await shot(page, "12-office-import-dry-run-problems")
    await upload.set_input_files({"name": "目标书.xlsx", "mimeType": XLSX, "buffer": _book_workbook([GOOD])})
    await dialog.locator("[data-test=dry-run]").click()
    await dialog.locator("[data-test=dry-run-ok]").wait_for()
    await dialog.locator("[data-test=confirm-import]").click()
    await page.wait_for_selector("text=导入完成")
    await page.click("[data-test=publish-all]")
    await page.click(".el-message-box__btns >> text=确定")
    await page.wait_for_selector("text=/已发布 \\d+ 项目标/")
    await page.fill("input[placeholder=搜索目标名称]", "浏览器导入")
    await page.press("input[placeholder=搜索目标名称]", "Enter")
    await page.click(".el-table__expand-icon >> nth=0")
    await page.wait_for_selector("[data-test=book-table] >> text=已发布")
    await shot(page, "13-office-imported-and-published")


async def test_target_office_adjusts_a_published_target_with_approval(page, console, login, shot):
    await login(page, console, "目标办")
    await page.click("[data-menu=book]")
    await page.fill("input[placeholder=搜索目标名称]", "每万人口发明专利拥有量达到69件")
    await page.press("input[placeholder=搜索目标名称]", "Enter")
    await page.click(".el-table__expand-icon >> nth=0")
    await page.click("a:text-is('每万人口发明专利拥有量达到69件')")
    await page.click("[data-test=request-adjustment]")
    dialog = page.locator(".el-dialog:visible")
    await dialog.locator("text=提交审批").click()
    await dialog.locator("text=请填写调整理由").wait_for()
    await dialog.locator("textarea").fill("区委常委会决定提高年度目标")
    await dialog.locator(".el-form-item:has-text('目标名称') input").fill("每万人口发明专利拥有量达到70件")
    await dialog.locator("text=提交审批").click()
    await page.wait_for_selector("text=调整申请已提交")
    await page.click("[data-menu=book]")
    await page.click("text=动态调整")
    await page.click("[data-test=adjustments] >> text=批准")
    await page.click(".el-message-box__btns >> text=确定")
    await page.wait_for_selector("[data-test=adjustments] >> text=已批准")
    await shot(page, "14-office-adjustment-approved")


async def test_supervision_inbox_categories_and_an_order_answered_with_evidence(page, console, login, shot, browser):
    """The inbox read state, the view per kind of target, and an order about a target answered by the unit with an
    uploaded file that the office then opens from the trail."""
    await login(page, console, "督查室")
    await page.wait_for_selector("[data-test=warnings] .el-table__row")
    before = int(await page.inner_text("[data-test=unread-badge]"))
    await page.click("[data-test=mark-read] >> nth=0")
    await page.wait_for_function(f"(document.querySelector('[data-test=unread-badge]')?.innerText || '0').trim() == '{before - 1}'")
    await page.click(".el-tabs__item >> text=分类督查")
    await page.wait_for_selector("[data-test=category-targets] .el-table__row")
    total = int(await page.inner_text("[data-test=category-total]"))
    assert total > 0
    await page.click("[data-test=category] >> text=专项工作")
    special = await page.evaluate("""async () => {
        const s = JSON.parse(localStorage.getItem('bihuan.session'))
        const r = await fetch('/api/supervision/dashboards/categories/special_work', { headers: { Authorization: 'Bearer ' + s.token } })
        return (await r.json()).counts.total
    }""")
    await page.wait_for_function(f"document.querySelector('[data-test=category-total]').innerText.trim() == '{special}'")
    await page.wait_for_selector(".el-loading-mask", state="detached")
    await shot(page, "h1-supervisor-categories")
    await page.click(".el-tabs__item >> text=督办单")
    await issue_order_about(page, "发明专利")

    unit_page = await browser.new_page()
    await login(unit_page, console, "单位填报员", unit="U-ZSCQ")
    await unit_page.wait_for_selector(".el-badge:has([data-test=my-orders]) .el-badge__content", state="visible")
    await unit_page.click("[data-test=my-orders]")
    await unit_page.click("[data-test=reply-order] >> nth=0")
    reply = unit_page.locator(".el-dialog:visible")
    await reply.locator("[data-test=reply-progress]").fill("已完成专利导航服务，附授权清单。")
    await reply.locator("[data-test=reply-evidence] input[type=file]").set_input_files(
        {"name": "授权清单.txt", "mimeType": "text/plain", "buffer": "专利授权清单\n".encode()})
    await reply.locator(".el-upload-list__item.is-success").wait_for()
    await reply.locator("[data-test=submit-reply]").click()
    await unit_page.wait_for_selector("text=已回复")
    await unit_page.click("[data-test=orders] .el-table__row >> nth=0")
    await unit_page.wait_for_selector("[data-test=trail-evidence]")
    await shot(unit_page, "h2-unit-replied-with-evidence")

    await page.reload()
    await page.click(".el-tabs__item >> text=督办单")
    await page.click("[data-test=orders] .el-table__row >> nth=0")
    await page.wait_for_selector("[data-test=trail-evidence]")
    ids = await page.evaluate("""async () => {
        const s = JSON.parse(localStorage.getItem('bihuan.session'))
        const h = { Authorization: 'Bearer ' + s.token }
        const orders = await (await fetch('/api/supervision/orders', { headers: h })).json()
        const ev = orders[0].trail.find((t) => t.action === 'replied').evidence[0]
        const r = await fetch('/api/execution/evidence/' + ev, { headers: h })
        return [r.status, await r.text()]
    }""")
    assert ids == [200, "专利授权清单\n"]
    await shot(page, "h3-office-trail")

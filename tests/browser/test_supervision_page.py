"""The supervision page in a real browser: the inbox read state, the view per kind of target, and an order about a
target answered by the unit with an uploaded file that the office then opens from the trail."""
import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_inbox_categories_and_an_order_answered_with_evidence(page, console, login, shot, browser):
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
    await page.click("[data-test=new-order]")
    dialog = page.locator(".el-dialog:visible")
    await dialog.locator("[data-test=order-target]").click()
    await page.keyboard.type("发明专利")
    await page.click(".el-select-dropdown__item:visible >> nth=0")
    await dialog.locator("[data-test=issue-order]").click()
    await page.wait_for_selector("text=督办单已签发")

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

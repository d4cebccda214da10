"""The target book in and out of Excel: dry run problems with sheet/row/column, all-or-nothing import,
round trip import(export(book)) == book."""
import io

from openpyxl import load_workbook

from bihuan_planning import samples
from bihuan_planning.bench import district_book

IMPORTED = ("code", "title", "content", "work_measures", "area", "category", "source", "lead_unit",
            "responsible_units", "cooperating_units", "leader", "weight", "indicator", "proposal")


async def _district(client, as_, scope: str) -> None:
    office = as_("target_office", scope=scope)
    await client.put(f"/api/v1/scopes/{scope}", json={"name": "徐汇区"}, headers=office)
    r = await client.post(f"/api/v1/directory/{scope}/import", files={"file": ("d.xlsx", samples.directory_workbook())},
                          headers=office)
    assert r.status_code == 200 and r.json()["registered"] == len(samples.UNITS) + len(samples.LEADERS), r.text


async def _book(client, as_, scope: str) -> dict:
    r = await client.get("/api/v1/targets", params={"scope": scope, "year": 2026, "size": 500},
                         headers=as_("target_office", scope=scope))
    items = r.json()["items"]
    codes = {t["id"]: t["code"] for t in items}
    return {t["code"]: {**{k: t[k] for k in IMPORTED}, "parent": codes.get(t["parent_id"]),
                        "milestones": [(m["due_date"], m["expected_value"], m["deliverable"]) for m in t["milestones"]]}
            for t in items}


async def test_sample_book_imports_and_round_trips(client, as_, scope):
    office = as_("target_office")
    await _district(client, as_, scope)
    url = f"/api/v1/books/{scope}/2026/import"
    files = {"file": ("xuhui-2026.xlsx", samples.book_workbook())}
    r = await client.post(url, params={"dry_run": True}, files=files, headers=office)
    assert r.status_code == 200 and r.json()["ok"], r.json()["problems"]
    assert r.json()["targets"] == len(samples.BOOK)
    assert (await client.get(f"/api/v1/books/{scope}/2026", headers=office)).status_code == 404  # dry run wrote nothing
    r = await client.post(url, files=files, headers=office)
    assert r.status_code == 200 and r.json()["milestones"] == 12 * 4 + 1, r.text
    book = await _book(client, as_, scope)
    assert book["2.1"]["parent"] == "2" and book["9.1"]["parent"] == "9"
    assert book["1"]["lead_unit"] == "XH-ZSCQ" and book["1"]["leader"] == "L-CHEN"
    assert book["6"]["indicator"] == {"kind": "quantitative", "unit_of_measure": "微克/立方米", "baseline": 42,
                                      "target_value": 35, "direction": "down", "cumulative": True}
    assert book["3"]["milestones"][1] == ("2026-05-15", None, "上线企业开办“一窗通”")
    assert book["3"]["milestones"][2] == ("2026-06-30", None, "上线后试运行")
    r = await client.post(url, files=files, headers=office)
    assert r.status_code == 422 and all("重复" in p["message"] for p in r.json()["details"])

    exported = (await client.get(f"/api/v1/books/{scope}/2026/export.xlsx", headers=office)).content
    other = scope + "b"
    await _district(client, as_, other)
    r = await client.post(f"/api/v1/books/{other}/2026/import", files={"file": ("export.xlsx", exported)},
                          headers=as_("target_office", scope=other))
    assert r.status_code == 200, r.text
    assert await _book(client, as_, other) == book

    r = await client.post(f"/api/v1/books/{scope}/2026/submit", json={}, headers=as_("unit_reporter", "XH-KW"))
    assert r.status_code == 403
    for action in ("submit", "approve", "publish"):
        r = await client.post(f"/api/v1/books/{scope}/2026/{action}", json={"comment": "区政府常务会审议通过"},
                              headers=office)
        assert r.json()["targets"] == len(samples.BOOK)
    # A key task without milestones of its own (its sub-items carry them) is still adjustable.
    r = await client.get("/api/v1/targets", params={"scope": scope, "q": "漕河泾开发区"}, headers=office)
    key_task = r.json()["items"][0]
    assert key_task["milestones"] == [] and key_task["status"] == "published"
    r = await client.post(f"/api/v1/targets/{key_task['id']}/adjustments", headers=office,
                          json={"kind": "change", "reason": "名称调整", "changes": {"title": "推进漕河泾科创集聚"}})
    r = await client.post(f"/api/v1/adjustments/{r.json()['id']}/approve", json={}, headers=office)
    assert r.status_code == 200 and r.json()["resulting_version"] == 2


async def test_dry_run_lists_every_problem_and_import_takes_nothing(client, as_, scope):
    office = as_("target_office")
    await _district(client, as_, scope)
    rows = [list(r) for r in samples.BOOK[:5]]
    rows[0][6] = "区不存在局"                                    # row 3: unknown lead unit (column N)
    rows[1][5] = (1, 2, 3, 4)                                   # row 4: no 指标值, so these are deliverables: fine
    rows[2][5] = (15, 10, 60, 80)                               # row 5: 2.1 not monotone (二季度 = G)
    rows[3][5] = ("2026-13-01：1", 1, 2, 3)                     # row 6: bad date (一季度 = F)
    rows[4][6] = ""                                             # row 7: no lead unit
    rows[4][10] = "重要工作"                                     # row 7: unknown category (R)
    r = await client.post(f"/api/v1/books/{scope}/2026/import", params={"dry_run": True},
                          files={"file": ("bad.xlsx", samples.book_workbook([tuple(x) for x in rows]))}, headers=office)
    assert r.status_code == 200 and r.json()["ok"] is False
    got = {(p["row"], p["column"].split(" ")[0]) for p in r.json()["problems"]}
    assert {(3, "J"), (5, "G"), (6, "F"), (7, "J"), (7, "N")} <= got, r.json()["problems"]
    assert all(p["sheet"] == "目标书" and p["message"] for p in r.json()["problems"])
    r = await client.post(f"/api/v1/books/{scope}/2026/import",
                          files={"file": ("bad.xlsx", samples.book_workbook([tuple(x) for x in rows]))}, headers=office)
    assert r.status_code == 422 and r.json()["error"] == "workbook_invalid"
    assert (await client.get("/api/v1/targets", params={"scope": scope}, headers=office)).json()["total"] == 0
    r = await client.post(f"/api/v1/books/{scope}/2026/import", files={"file": ("x.xlsx", b"not a workbook")},
                          headers=office)
    assert r.status_code == 422 and r.json()["error"] == "not_a_workbook"


async def test_monthly_layout_round_trips(client, as_, scope):
    office = as_("target_office")
    await _district(client, as_, scope)
    r = await client.post(f"/api/v1/books/{scope}/2026/import", files={"file": ("m.xlsx", district_book(1, 10))},
                          headers=office)
    assert r.status_code == 200 and r.json()["period"] == "month" and r.json()["milestones"] == 120, r.text
    exported = (await client.get(f"/api/v1/books/{scope}/2026/export.xlsx", headers=office)).content
    header = [c.value for c in next(load_workbook(io.BytesIO(exported)).active.iter_rows(min_row=2, max_row=2))]
    assert header[5:17] == [f"{m}月" for m in range(1, 13)]
    other = scope + "m"
    await _district(client, as_, other)
    r = await client.post(f"/api/v1/books/{other}/2026/import", files={"file": ("e.xlsx", exported)},
                          headers=as_("target_office", scope=other))
    assert r.status_code == 200, r.text
    assert await _book(client, as_, other) == await _book(client, as_, scope)

"""Directory: units and leaders through the API and Excel, with their events on the broker."""
import io

from openpyxl import Workbook

from bihuan_shared.testing.services import eventually


async def test_units_and_leaders_are_registered_with_events(client, as_, directory, events):
    scope = directory
    r = await client.get(f"/api/v1/directory/{scope}/units/U-ZSCQ", headers=as_("unit_reporter", "U-HM"))
    assert r.status_code == 200
    assert r.json()["parent"] == "U-KW" and r.json()["leaders"] == ["L-LI"]

    async def unit_events_arrived():
        registered = events.of("planning.unit.registered", f"unit:{scope}:U-KW")
        updated = events.of("planning.unit.updated", f"unit:{scope}:U-KW")
        assert len(registered) == 1 and registered[0].payload["kind"] == "line_department"
        # Registering L-LI later put the unit in his charge: consumers learn it as an update with a higher sequence.
        assert updated and updated[-1].payload["leaders"] == ["L-LI"] and updated[-1].sequence == 2
        assert len(events.of("planning.leader.registered", f"leader:{scope}:L-LI")) == 1

    await eventually(unit_events_arrived)
    # Saving the same values again changes nothing and emits nothing.
    body = {"name": "区科委", "kind": "line_department", "assessment_group": "区级机关"}
    r = await client.put(f"/api/v1/directory/{scope}/units/U-KW", json=body, headers=as_("target_office"))
    assert r.status_code == 200
    r = await client.put(f"/api/v1/directory/{scope}/units/U-KW", json=body | {"assessment_group": "经济组"},
                         headers=as_("target_office"))

    async def group_change_arrived():
        updated = events.of("planning.unit.updated", f"unit:{scope}:U-KW")
        assert [e.sequence for e in updated] == [2, 3] and updated[-1].payload["assessment_group"] == "经济组"

    await eventually(group_change_arrived)


async def test_only_the_target_office_writes_the_directory(client, as_, directory):
    scope = directory
    body = {"name": "区教育局", "kind": "line_department"}
    r = await client.put(f"/api/v1/directory/{scope}/units/U-JY", json=body, headers=as_("unit_reporter", "U-HM"))
    assert r.status_code == 403
    r = await client.put(f"/api/v1/directory/{scope}/units/U-JY", json=body,
                         headers=as_("target_office", scope="other"))
    assert r.status_code == 403
    r = await client.put(f"/api/v1/directory/{scope}/units/U-JY", json=body | {"parent": "U-NONE"},
                         headers=as_("target_office"))
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "parent"
    r = await client.put(f"/api/v1/directory/{scope}/units/U-KW", json=body | {"parent": "U-ZSCQ"},
                         headers=as_("target_office"))
    assert r.status_code == 422 and "循环" in r.json()["message"]


def _workbook(units: list[tuple], leaders: list[tuple]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "单位"
    ws.append(("单位编码", "单位名称", "类型", "上级单位", "考核组"))
    for row in units:
        ws.append(row)
    ws = wb.create_sheet("分管领导")
    ws.append(("领导编码", "姓名", "职务", "分管单位"))
    for row in leaders:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def test_directory_excel_dry_run_import_and_export(client, as_, scope):
    office = as_("target_office")
    await client.put(f"/api/v1/scopes/{scope}", json={"name": "黄浦区"}, headers=office)
    bad = _workbook([("U-A", "区财政局", "条", "", "区级机关"), ("U-B", "外滩街道", "街坊", "", "街道"),
                     ("U-C", "南京东路街道", "块", "U-X", "街道")], [("L-1", "张三", "副区长", "区财政局、区卫健委")])
    url = f"/api/v1/directory/{scope}/import"
    files = {"file": ("dir.xlsx", bad)}
    r = await client.post(url, params={"dry_run": True}, files=files, headers=office)
    assert r.status_code == 200 and r.json()["ok"] is False
    where = {(p["sheet"], p["row"], p["column"][0]) for p in r.json()["problems"]}
    assert where == {("单位", 3, "C"), ("单位", 4, "D"), ("分管领导", 2, "D")}
    r = await client.post(url, files=files, headers=office)
    assert r.status_code == 422 and len(r.json()["details"]) == 3
    assert (await client.get(f"/api/v1/directory/{scope}/units", headers=office)).json() == []

    good = _workbook([("U-A", "区财政局", "条", "", "区级机关"), ("U-C", "南京东路街道", "块", "", "街道")],
                     [("L-1", "张三", "副区长", "区财政局、U-C")])
    r = await client.post(url, files={"file": ("dir.xlsx", good)}, headers=office)
    assert r.status_code == 200 and r.json()["registered"] == 3, r.text
    r = await client.get(f"/api/v1/directory/{scope}/export.xlsx", headers=office)
    r = await client.post(url, params={"dry_run": True}, files={"file": ("back.xlsx", r.content)}, headers=office)
    assert r.json()["ok"] is True
    r = await client.post(url, files={"file": ("back.xlsx", good)}, headers=office)
    assert r.json()["registered"] == 0 and r.json()["updated"] == 0
    units = (await client.get(f"/api/v1/directory/{scope}/units", headers=office)).json()
    assert [(u["code"], u["kind"], u["leaders"]) for u in units] == [("U-A", "line_department", ["L-1"]),
                                                                   ("U-C", "territorial", ["L-1"])]

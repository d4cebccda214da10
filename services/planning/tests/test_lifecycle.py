"""The lifecycle and who may move a target through it; references into the directory; draft edits."""


async def test_lifecycle_by_role(client, as_, directory, target_body):
    office, reporter = as_("target_office"), as_("unit_reporter", "U-KW")
    r = await client.post("/api/v1/targets", json=target_body(directory, "XH-1"), headers=reporter)
    assert r.status_code == 403
    r = await client.post("/api/v1/targets", json=target_body(directory, "XH-1"), headers=office)
    assert r.status_code == 201
    target_id = r.json()["id"]
    # Another unit's reporter may not submit the lead unit's target; the lead unit's reporter may.
    r = await client.post(f"/api/v1/targets/{target_id}/submit", json={}, headers=as_("unit_reporter", "U-HM"))
    assert r.status_code == 403
    r = await client.post(f"/api/v1/targets/{target_id}/submit", json={}, headers=reporter)
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    for action in ("approve", "publish"):
        r = await client.post(f"/api/v1/targets/{target_id}/{action}", json={}, headers=reporter)
        assert r.status_code == 403, action
    r = await client.post(f"/api/v1/targets/{target_id}/publish", json={}, headers=office)
    assert r.status_code == 409 and r.json()["error"] == "transition_refused"
    for action in ("approve", "publish"):
        r = await client.post(f"/api/v1/targets/{target_id}/{action}", json={"comment": "同意"}, headers=office)
        assert r.status_code == 200
    assert r.json()["status"] == "published" and r.json()["version"] == 1


async def test_nobody_edits_a_published_target_directly(client, as_, directory, publish):
    target = await publish(directory, "XH-2")
    r = await client.patch(f"/api/v1/targets/{target['id']}", json={"title": "改个标题"}, headers=as_("target_office"))
    assert r.status_code == 409 and r.json()["error"] == "target_not_editable"
    r = await client.patch(f"/api/v1/targets/{target['id']}", json={"title": "改个标题"},
                           headers=as_("unit_reporter", "U-KW"))
    assert r.status_code == 403
    r = await client.get(f"/api/v1/targets/{target['id']}", headers=as_("leader", "U-KW"))
    assert r.json()["title"] == target["title"] and r.json()["version"] == 1


async def test_drafts_are_edited_and_checked(client, as_, directory, target_body):
    office = as_("target_office")
    r = await client.post("/api/v1/targets", json=target_body(directory, "XH-3"), headers=office)
    target_id = r.json()["id"]
    r = await client.patch(f"/api/v1/targets/{target_id}", json={"lead_unit": None}, headers=office)
    assert r.status_code == 422 and "lead_unit" in r.text
    r = await client.patch(f"/api/v1/targets/{target_id}", json={"cooperating_units": ["U-NOPE"]}, headers=office)
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "cooperating_units"
    bad = [{"due_date": "2026-06-30", "expected_value": 65}, {"due_date": "2026-03-31", "expected_value": 60}]
    r = await client.patch(f"/api/v1/targets/{target_id}", json={"milestones": bad}, headers=office)
    fields = {d["field"] for d in r.json()["details"]}
    assert r.status_code == 422 and {"milestones.1.due_date", "milestones.1.expected_value"} <= fields
    r = await client.patch(f"/api/v1/targets/{target_id}", json={"work_measures": "建立专利导航机制",
                                                                "proposal_reference": "徐科〔2026〕12号"},
                           headers=office)
    assert r.status_code == 200 and r.json()["proposal"] == {"reference": "徐科〔2026〕12号"}
    # A sub-item hangs under its parent in the same book.
    sub = target_body(directory, "XH-3.1", parent_id=target_id, title="新增发明专利授权量")
    r = await client.post("/api/v1/targets", json=sub, headers=office)
    assert r.status_code == 201 and r.json()["parent_id"] == target_id
    r = await client.post("/api/v1/targets", json=sub | {"code": "XH-3.2", "parent_id": "nope"}, headers=office)
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "parent_id"
    r = await client.get(f"/api/v1/targets/{target_id}/history", headers=office)
    assert [h["action"] for h in r.json()] == ["created", "edited"]
    assert {c["field"] for c in r.json()[1]["changes"]} == {"work_measures", "proposal"}


async def test_a_scope_without_directory_accepts_any_unit_code(client, as_, scope, target_body):
    r = await client.post("/api/v1/targets", json=target_body(scope, "E-1", lead_unit="U-ANY", leader="L-ANY"),
                          headers=as_("target_office"))
    assert r.status_code == 201, r.text

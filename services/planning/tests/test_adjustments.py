"""Adjustments (动态调整) after publication: request, approval, new version on the broker, history readback."""
from bihuan_shared.testing.services import eventually


async def test_change_makes_a_new_version_event_and_history(client, as_, directory, publish, events):
    target = await publish(directory, "XH-10")
    reporter, office = as_("unit_reporter", "U-KW"), as_("target_office")
    changes = {"cooperating_units": ["U-FGW", "U-HM"],
               "milestones": [{"due_date": "2026-03-31", "expected_value": 62},
                              {"due_date": "2026-06-30", "expected_value": 63},
                              {"due_date": "2026-09-30", "expected_value": 65},
                              {"due_date": "2026-12-31", "expected_value": 69}]}
    body = {"kind": "change", "reason": "受专利审查周期延长影响，调整二、三季度节点", "changes": changes}
    r = await client.post(f"/api/v1/targets/{target['id']}/adjustments", json=body,
                          headers=as_("unit_reporter", "U-HM"))
    assert r.status_code == 403
    r = await client.post(f"/api/v1/targets/{target['id']}/adjustments", json=body, headers=reporter)
    assert r.status_code == 201, r.text
    adjustment = r.json()
    r = await client.post(f"/api/v1/targets/{target['id']}/adjustments", json=body, headers=reporter)
    assert r.status_code == 409 and r.json()["error"] == "adjustment_pending"
    r = await client.post(f"/api/v1/adjustments/{adjustment['id']}/approve", json={}, headers=reporter)
    assert r.status_code == 403
    listed = lambda r: [a["id"] for a in r.json()]  # noqa: E731
    assert listed(await client.get("/api/v1/adjustments", params={"scope": directory}, headers=reporter)) \
        == [adjustment["id"]]
    assert listed(await client.get("/api/v1/adjustments", params={"scope": directory},
                                   headers=as_("unit_reporter", "U-HM"))) == []
    assert (await client.get(f"/api/v1/targets/{target['id']}", headers=office)).json()["version"] == 1
    r = await client.post(f"/api/v1/adjustments/{adjustment['id']}/approve", json={"comment": "同意调整"},
                          headers=office)
    assert r.status_code == 200 and r.json()["resulting_version"] == 2
    now = (await client.get(f"/api/v1/targets/{target['id']}", headers=office)).json()
    assert now["version"] == 2 and now["cooperating_units"] == ["U-FGW", "U-HM"]
    # Milestones keep their ids, so progress reported elsewhere still points at them.
    assert [m["id"] for m in now["milestones"]] == [m["id"] for m in target["milestones"]]

    async def adjusted_on_the_broker():
        published = events.of("planning.target.published", target["id"])
        adjusted = events.of("planning.target.adjusted", target["id"])
        assert len(published) == 1 and len(adjusted) == 1
        assert adjusted[0].sequence == published[0].sequence + 1
        assert adjusted[0].payload["version"] == 2 and adjusted[0].payload["adjustment_id"] == adjustment["id"]
        assert [m["expected_value"] for m in adjusted[0].payload["milestones"]] == [62, 63, 65, 69]

    await eventually(adjusted_on_the_broker)
    history = (await client.get(f"/api/v1/targets/{target['id']}/history", headers=as_("leader", "U-KW"))).json()
    assert [h["action"] for h in history] == ["created", "submit", "approve", "publish", "adjustment_requested",
                                              "adjusted"]
    last = history[-1]
    assert last["actor"] == "target_office@" + directory and last["reason"] == body["reason"]
    assert last["version"] == 2 and {c["field"] for c in last["changes"]} == {"cooperating_units", "milestones"}
    change = next(c for c in last["changes"] if c["field"] == "cooperating_units")
    assert change == {"field": "cooperating_units", "before": ["U-FGW"], "after": ["U-FGW", "U-HM"]}


async def test_invalid_change_is_refused_at_request(client, as_, directory, publish):
    target = await publish(directory, "XH-11")
    bad = {"kind": "change", "reason": "调整", "changes": {"indicator": {"kind": "quantitative", "target_value": 70}}}
    r = await client.post(f"/api/v1/targets/{target['id']}/adjustments", json=bad, headers=as_("target_office"))
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "milestones.3.expected_value"


async def test_cancel_and_add(client, as_, directory, publish, target_body, events):
    office = as_("target_office")
    target = await publish(directory, "XH-12")
    r = await client.post(f"/api/v1/targets/{target['id']}/adjustments",
                          json={"kind": "cancel", "reason": "市级任务取消"}, headers=office)
    r = await client.post(f"/api/v1/adjustments/{r.json()['id']}/approve", json={}, headers=office)
    assert r.status_code == 200
    r = await client.post(f"/api/v1/adjustments/{r.json()['id']}/approve", json={}, headers=office)
    assert r.status_code == 409
    now = (await client.get(f"/api/v1/targets/{target['id']}", headers=office)).json()
    assert now["status"] == "cancelled" and now["version"] == 2

    addition = {"reason": "区委新增要求", "target": target_body(directory, "XH-13", title="新建区级知识产权服务中心")}
    r = await client.post("/api/v1/adjustments", json=addition, headers=as_("unit_reporter", "U-KW"))
    assert r.status_code == 201
    r = await client.post(f"/api/v1/adjustments/{r.json()['id']}/approve", json={}, headers=office)
    added = r.json()["target_id"]
    assert (await client.get(f"/api/v1/targets/{added}", headers=office)).json()["status"] == "published"

    async def both_on_the_broker():
        cancelled = events.of("planning.target.cancelled", target["id"])
        assert len(cancelled) == 1 and cancelled[0].sequence == 2 and cancelled[0].payload["reason"] == "市级任务取消"
        assert len(events.of("planning.target.published", added)) == 1

    await eventually(both_on_the_broker)

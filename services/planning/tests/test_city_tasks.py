"""City tasks (市级交办) against the real servers: a city office decomposes a target to two of its districts, publishing
places a linked target in each district's book with its share and dates, the district names its lead unit and
publishes, asks to change its share (only the city approves), and the city's cancellation reaches both districts."""
import uuid

from bihuan_shared.testing.services import eventually
from services.planning.tests.conftest import UNITS


async def _city(client, as_) -> tuple[str, str, str]:
    city = f"c{uuid.uuid4().hex[:7]}"
    d1, d2 = f"{city}-a", f"{city}-b"
    office = as_("target_office", scope=city)
    assert (await client.put(f"/api/v1/scopes/{city}", json={"name": "示范市", "kind": "city"},
                             headers=office)).status_code in (200, 201)
    for code, name in ((d1, "甲区"), (d2, "乙区")):
        r = await client.put(f"/api/v1/scopes/{code}", json={"name": name, "kind": "district", "parent": city},
                             headers=office)
        assert r.status_code in (200, 201), r.text
    return city, d1, d2


async def test_a_city_task_is_decomposed_published_to_districts_adjusted_and_cancelled(client, as_, target_body,
                                                                                       events):
    city, d1, d2 = await _city(client, as_)
    city_office, d1_office = as_("target_office", scope=city), as_("target_office", scope=d1)
    for code, unit in UNITS.items():  # the district's own directory; the district itself the city registered
        assert (await client.put(f"/api/v1/directory/{d1}/units/{code}", json=unit,
                                 headers=d1_office)).status_code == 200
    body = target_body(city, "SJ-1", title="新增城市绿道100公里", lead_unit="U-SLH", responsible_units=[],
                       cooperating_units=[], leader=None,
                       indicator={"kind": "quantitative", "unit_of_measure": "公里", "target_value": 100,
                                  "direction": "up"},
                       milestones=[{"due_date": "2026-06-30", "expected_value": 40},
                                   {"due_date": "2026-12-31", "expected_value": 100}])
    task = (await client.post("/api/v1/targets", json=body, headers=city_office)).json()
    url = f"/api/v1/targets/{task['id']}/assignments"

    bad = await client.put(url, json={"assignments": [{"district": "elsewhere", "share_value": 60},
                                                       {"district": d2, "share_value": 30}]}, headers=city_office)
    assert bad.status_code == 422, bad.text
    assert {d["field"] for d in bad.json()["details"]} == {"assignments.0.district", "assignments"}
    r = await client.put(url, json={"assignments": [{"district": d1, "share_value": 60}]}, headers=d1_office)
    assert (r.status_code, r.json()["error"]) == (403, "scope_forbidden")
    r = await client.put(url, json={"assignments": [{"district": d1, "share_value": 60},
                                                    {"district": d2, "share_value": 40}]}, headers=city_office)
    assert r.status_code == 200, r.text
    assert [(a["district"], a["share_value"], [m["expected_value"] for m in a["milestones"]])
            for a in r.json()["assignments"]] == [(d1, 60, [24, 60]), (d2, 40, [16, 40])]

    for action in ("submit", "approve", "publish"):
        r = await client.post(f"/api/v1/targets/{task['id']}/{action}", json={}, headers=city_office)
        assert r.status_code == 200, r.text
    placed = {a["district"]: a["district_target_id"] for a in r.json()["assignments"]}
    assert all(placed.values())
    published = await _event(events, "planning.target.published", task["id"])
    assert [(a["district"], a["share_value"]) for a in published.payload["assignments"]] == [(d1, 60), (d2, 40)]

    linked = (await client.get(f"/api/v1/targets/{placed[d1]}", headers=d1_office)).json()
    assert (linked["scope"], linked["code"], linked["source"], linked["origin_target_id"]) == (
        d1, "市-SJ-1", "市级交办", task["id"])
    assert (linked["indicator"]["target_value"], [m["expected_value"] for m in linked["milestones"]]) == (60, [24, 60])
    r = await client.post(f"/api/v1/targets/{placed[d1]}/submit", json={}, headers=d1_office)
    assert (r.status_code, r.json()["error"]) == (409, "lead_unit_required")
    r = await client.patch(f"/api/v1/targets/{placed[d1]}", json={"indicator": {**linked["indicator"],
                                                                               "target_value": 10}},
                           headers=d1_office)
    assert (r.status_code, r.json()["error"]) == (409, "city_task_locked")
    r = await client.patch(f"/api/v1/targets/{placed[d1]}", json={"lead_unit": "U-KW"}, headers=d1_office)
    assert r.status_code == 200, r.text
    for action in ("submit", "approve", "publish"):
        r = await client.post(f"/api/v1/targets/{placed[d1]}/{action}", json={}, headers=d1_office)
        assert r.status_code == 200, r.text
    district_event = await _event(events, "planning.target.published", placed[d1])
    assert (district_event.scope, district_event.payload["origin_target_id"]) == (d1, task["id"])

    # The district may not cancel the city's task; it asks to change its share, and only the city decides.
    r = await client.post(f"/api/v1/targets/{placed[d1]}/adjustments", json={"kind": "cancel", "reason": "不做了"},
                          headers=d1_office)
    assert (r.status_code, r.json()["error"]) == (409, "city_task_not_cancellable")
    change = {"indicator": {**linked["indicator"], "target_value": 50},
              "milestones": [{"due_date": "2026-06-30", "expected_value": 20},
                             {"due_date": "2026-12-31", "expected_value": 50}]}
    r = await client.post(f"/api/v1/targets/{placed[d1]}/adjustments",
                          json={"kind": "change", "reason": "征地受阻", "changes": change}, headers=d1_office)
    assert r.status_code == 201, r.text
    adjustment = r.json()["id"]
    r = await client.post(f"/api/v1/adjustments/{adjustment}/approve", json={}, headers=d1_office)
    assert (r.status_code, r.json()["error"]) == (403, "scope_forbidden")
    pending = (await client.get("/api/v1/adjustments", params={"scope": d1, "status": "pending"},
                                headers=city_office)).json()
    assert [a["id"] for a in pending] == [adjustment]
    r = await client.post(f"/api/v1/adjustments/{adjustment}/approve", json={"comment": "同意"}, headers=city_office)
    assert r.status_code == 200, r.text
    task_now = (await client.get(f"/api/v1/targets/{task['id']}", headers=city_office)).json()
    assert [(a["district"], a["share_value"]) for a in task_now["assignments"]] == [(d1, 50), (d2, 40)]
    adjusted = await _event(events, "planning.target.adjusted", task["id"])
    assert [(a["district"], a["share_value"]) for a in adjusted.payload["assignments"]] == [(d1, 50), (d2, 40)]

    # The city cancels its task: both districts' linked targets follow (the published one with its event).
    r = await client.post(f"/api/v1/targets/{task['id']}/adjustments", json={"kind": "cancel", "reason": "规划调整"},
                          headers=city_office)
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/v1/adjustments/{r.json()['id']}/approve", json={}, headers=city_office)
    assert r.status_code == 200, r.text
    for district in (d1, d2):
        t = (await client.get(f"/api/v1/targets/{placed[district]}", headers=city_office)).json()
        assert t["status"] == "cancelled", (district, t["status"])
    await _event(events, "planning.target.cancelled", placed[d1])


async def test_only_a_city_target_is_decomposed(client, as_, directory, target_body):
    office = as_("target_office")
    target = (await client.post("/api/v1/targets", json=target_body(directory, "N-1"), headers=office)).json()
    r = await client.put(f"/api/v1/targets/{target['id']}/assignments",
                         json={"assignments": [{"district": "x", "share_value": 1}]}, headers=office)
    assert (r.status_code, r.json()["error"]) == (409, "not_a_city_task")


async def _event(events, event_type: str, aggregate_id: str):
    async def one():
        found = events.of(event_type, aggregate_id)
        assert len(found) == 1, found
        return found[0]
    return await eventually(one)

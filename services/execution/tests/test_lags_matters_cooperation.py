"""Lag explanations, important-matter reports and cooperation against the real servers, with their events."""
from datetime import timedelta

from bihuan_shared.testing.services import eventually

from bihuan_execution.testing import DAY0, headers, listening, publish_targets, snapshot

LEAD, COOP, OTHER = "U-JTW", "U-GAJ", "U-SWJ"


async def test_lag_explained_for_overdue_or_at_risk_milestones_only(api, settings):
    settings.today = DAY0
    t = snapshot("XH-L1", LEAD, [DAY0 + timedelta(days=3), DAY0 + timedelta(days=90)], cooperating=(COOP,))
    await publish_targets(api, settings, [t])
    near, far = (f"/api/v1/targets/{t['target_id']}/milestones/{m['milestone_id']}/lag-explanations"
                 for m in t["milestones"])
    reporter = headers(settings, "unit_reporter", LEAD)
    reason = {"reason_kind": "objective", "reason_category": "external_approval", "explanation": "市级规划审批尚未完成",
              "recovery_plan": "审批后两周内开工", "new_expected_date": (DAY0 + timedelta(days=20)).isoformat()}
    async with listening(settings.amqp_url, "execution.lag.explained") as seen:
        r = await api.post(far, json=reason, headers=reporter)
        assert r.status_code == 409 and r.json()["error"] == "milestone_not_lagging"
        r = await api.post(near, json=reason, headers=headers(settings, "unit_reporter", COOP))
        assert r.status_code == 403
        r = await api.post(near, json=dict(reason, reason_category="subjective"), headers=reporter)
        assert r.status_code == 422
        r = await api.post(near, json=dict(reason, new_expected_date=(DAY0 - timedelta(days=1)).isoformat()),
                           headers=reporter)
        assert r.status_code == 422 and r.json()["details"][0]["field"] == "body.new_expected_date"
        r = await api.post(near, json=reason, headers=reporter)  # due soon: at risk
        assert r.status_code == 201, r.text
        r = await api.post(near, json={"reason_kind": "subjective", "explanation": "人员调整，推进不力"}, headers=reporter)
        assert r.status_code == 201 and r.json()["reason_category"] == "subjective"

        async def published():
            assert [e.payload["reason_kind"] for e in seen] == ["objective", "subjective"]
        await eventually(published)
    assert seen[0].payload["reason_category"] == "external_approval" and seen[0].payload["unit"] == LEAD
    history = (await api.get(near, headers=headers(settings, "leader"))).json()
    assert [h["reason_kind"] for h in history] == ["subjective", "objective"]


async def test_important_matter_stays_open_until_the_addressee_answers(api, settings):
    t = snapshot("XH-M1", LEAD, [DAY0 + timedelta(days=30)], cooperating=(COOP,))
    await publish_targets(api, settings, [t])
    reporter = headers(settings, "unit_reporter", LEAD)
    async with listening(settings.amqp_url, "execution.matter.raised", "execution.matter.answered") as seen:
        r = await api.post("/api/v1/matters", json={"title": "征收补偿资金缺口", "content": "需区财政追加预算"},
                           headers=reporter)
        assert r.status_code == 422  # addressed to nobody
        r = await api.post("/api/v1/matters", json={"title": "征收补偿资金缺口", "content": "需区财政追加预算1200万元",
                                                    "target_id": t["target_id"], "to_leader": "L-LI", "to_units": [COOP]},
                           headers=reporter)
        assert r.status_code == 201 and r.json()["status"] == "open"
        matter = r.json()
        r = await api.post("/api/v1/matters", json={"title": "越权", "content": "x", "target_id": t["target_id"],
                                                    "to_units": [LEAD]}, headers=headers(settings, "unit_reporter", OTHER))
        assert r.status_code == 403

        opened = (await api.get("/api/v1/matters", params={"status": "open"}, headers=headers(settings, "leader"))).json()
        assert [m["id"] for m in opened] == [matter["id"]]
        assert (await api.get("/api/v1/matters", headers=headers(settings, "unit_reporter", OTHER))).json() == []
        assert len((await api.get("/api/v1/matters", headers=headers(settings, "unit_reporter", COOP))).json()) == 1

        answer = f"/api/v1/matters/{matter['id']}/answer"
        r = await api.post(answer, json={"answer": "不归我管"}, headers=headers(settings, "unit_reporter", OTHER))
        assert r.status_code == 403 and r.json()["error"] == "not_addressee"
        r = await api.post(answer, json={"answer": "同意追加，财政局下周办理"},
                           headers=headers(settings, "leader", user="L-LI"))
        assert r.status_code == 200 and r.json()["status"] == "answered" and r.json()["answered_by"] == "L-LI"
        r = await api.post(answer, json={"answer": "再答"}, headers=headers(settings, "unit_reporter", COOP))
        assert r.status_code == 409

        async def both():
            assert [e.event_type for e in seen] == ["execution.matter.raised", "execution.matter.answered"]
        await eventually(both)
    assert (await api.get("/api/v1/matters", params={"status": "open"}, headers=headers(settings, "leader"))).json() == []


async def test_cooperation_requested_confirmed_delivered_and_rated(api, settings):
    t = snapshot("XH-K1", LEAD, [DAY0 + timedelta(days=30)], cooperating=(COOP,))
    await publish_targets(api, settings, [t])
    lead, coop = headers(settings, "unit_reporter", LEAD), headers(settings, "unit_reporter", COOP)
    types = ["execution.cooperation.requested", "execution.cooperation.confirmed", "execution.cooperation.delivered",
             "execution.cooperation.rated"]
    async with listening(settings.amqp_url, *types) as seen:
        url = f"/api/v1/targets/{t['target_id']}/cooperation-requests"
        r = await api.post(url, json={"cooperating_unit": OTHER, "description": "x"}, headers=lead)
        assert r.status_code == 422 and r.json()["details"][0]["field"] == "body.cooperating_unit"
        r = await api.post(url, json={"cooperating_unit": COOP, "description": "x"}, headers=coop)
        assert r.status_code == 403
        r = await api.post(url, json={"cooperating_unit": COOP, "description": "配合完成沿线交通疏导方案",
                                      "due_date": (DAY0 + timedelta(days=10)).isoformat()}, headers=lead)
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        rate = f"/api/v1/cooperation-requests/{rid}/rating"
        assert (await api.post(rate, json={"rating": 90}, headers=lead)).status_code == 409  # nothing delivered yet
        contribute = {"narrative": "交通疏导方案已交付", "request_id": rid}
        r = await api.post(f"/api/v1/targets/{t['target_id']}/contributions", json=contribute, headers=coop)
        assert r.status_code == 409 and r.json()["error"] == "cooperation_not_confirmed"
        assert (await api.post(f"/api/v1/cooperation-requests/{rid}/confirm", headers=lead)).status_code == 403
        r = await api.post(f"/api/v1/cooperation-requests/{rid}/confirm", headers=coop)
        assert r.status_code == 200 and r.json()["status"] == "confirmed"
        r = await api.post(f"/api/v1/targets/{t['target_id']}/contributions", json=contribute, headers=coop)
        assert r.status_code == 201, r.text
        assert (await api.post(rate, json={"rating": 90}, headers=coop)).status_code == 403
        assert (await api.post(rate, json={"rating": 101}, headers=lead)).status_code == 422
        r = await api.post(rate, json={"rating": 92.5, "comment": "方案及时、可操作"}, headers=lead)
        assert r.status_code == 200 and r.json()["status"] == "rated"
        assert (await api.post(rate, json={"rating": 10}, headers=lead)).status_code == 409

        async def all_four():
            assert [e.event_type for e in seen] == types
        await eventually(all_four)
    rated = seen[-1].payload
    assert (rated["lead_unit"], rated["cooperating_unit"], rated["rating"]) == (LEAD, COOP, 92.5)
    assert seen[2].payload["on_time"] is True
    listed = (await api.get("/api/v1/cooperation-requests", headers=coop)).json()
    assert [(x["id"], x["status"]) for x in listed] == [(rid, "rated")]
    assert (await api.get("/api/v1/cooperation-requests", headers=headers(settings, "unit_reporter", OTHER))).json() == []

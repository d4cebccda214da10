"""The loop end to end over HTTP: planning publishes a target with a milestone, execution learns it and accepts a
progress report, supervision shows the milestone done, assessment counts it. Real PostgreSQL and RabbitMQ."""
from datetime import date, timedelta

import httpx

from bihuan_shared.testing.services import eventually


def target_body(code: str) -> dict:
    due = date.today() + timedelta(days=20)
    if due.year != date.today().year:  # keep the milestone inside the target's year near New Year
        due = date(date.today().year, 12, 31)
    return {"scope": "e2e", "year": date.today().year, "code": code, "title": "虹梅街道沿河违法建筑拆除",
            "category": "key_work", "lead_unit": "U-HM", "cooperating_units": ["U-CG"], "leader": "L-LI",
            "indicator": {"kind": "quantitative", "unit_of_measure": "处", "baseline": 0, "target_value": 15,
                          "direction": "up"},
            "milestones": [{"due_date": due.isoformat(), "expected_value": 15}]}


async def test_target_flows_through_the_whole_loop(system):
    office = system.headers("target_office")
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(f"{system.api('planning')}/targets", json=target_body("E2E-1"), headers=office)
        assert r.status_code == 201, r.text
        target = r.json()
        for action in ("submit", "approve", "publish"):
            r = await http.post(f"{system.api('planning')}/targets/{target['id']}/{action}", json={}, headers=office)
            assert r.status_code == 200, r.text
        assert r.json()["status"] == "published"
        milestone_id = target["milestones"][0]["id"]
        reporter = system.headers("unit_reporter", "U-HM")

        async def execution_knows_target():
            r = await http.get(f"{system.api('execution')}/targets/{target['id']}", headers=reporter)
            assert r.status_code == 200, r.text
            return r.json()

        copy = await eventually(execution_knows_target)
        assert copy["milestones"][0]["status"] in ("pending", "due_soon")

        # A cooperating unit may not complete the lead unit's milestone.
        r = await http.post(f"{system.api('execution')}/targets/{target['id']}/milestones/{milestone_id}/progress",
                            json={"actual_value": 15}, headers=system.headers("unit_reporter", "U-CG"))
        assert r.status_code == 403

        r = await http.post(f"{system.api('execution')}/targets/{target['id']}/milestones/{milestone_id}/progress",
                            json={"actual_value": 15, "narrative": "15处违法建筑已全部拆除"}, headers=reporter)
        assert r.status_code == 201, r.text
        assert r.json()["milestone_status"] == "done_early"

        async def supervision_shows_done():
            r = await http.get(f"{system.api('supervision')}/targets/{target['id']}",
                                headers=system.headers("supervisor"))
            assert r.status_code == 200, r.text
            assert r.json()["milestones"][0]["status"] == "done_early"
            assert r.json()["milestones"][0]["latest_value"] == 15

        async def assessment_counts_it():
            r = await http.get(f"{system.api('assessment')}/completion", params={"scope": "e2e", "unit": "U-HM"},
                               headers=system.headers("assessor"))
            assert r.status_code == 200, r.text
            assert r.json() == {"scope": "e2e", "unit": "U-HM", "milestones": 1, "completed": 1, "early": 1,
                                "on_time": 0, "late": 0, "overdue": 0}

        await eventually(supervision_shows_done)
        await eventually(assessment_counts_it)


async def test_every_service_answers_health_readiness_metrics_and_openapi(system):
    async with httpx.AsyncClient(timeout=10) as http:
        for name, url in system.urls.items():
            assert (await http.get(url + "/healthz")).json() == {"status": "ok"}
            ready = await http.get(url + "/readyz")
            assert ready.status_code == 200 and ready.json()["checks"] == {"database": True, "broker": True}
            assert "bihuan_http_requests_total" in (await http.get(url + "/metrics")).text
            assert (await http.get(url + "/openapi.json")).json()["info"]["title"].startswith("Bihuan")
            assert (await http.get(url + "/docs")).status_code == 200
            r = await http.get(url + "/api/v1/targets/nope")
            assert r.status_code in (401, 404, 405), name

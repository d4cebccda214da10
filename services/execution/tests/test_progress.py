"""Progress on milestones against the real servers: who may report, how status moves (early, on time, late),
corrections kept beside what they correct, and contributions of cooperating units."""
from datetime import timedelta

from sqlalchemy import text

from bihuan_shared.db import make_engine
from bihuan_shared.testing.services import eventually

from bihuan_execution.testing import DAY0, SCOPE, headers, listening, publish_targets, snapshot

LEAD, RESP, COOP, OTHER = "U-FGW", "U-JW", "U-CG", "U-WSJ"


def _progress(t: dict, i: int) -> str:
    return f"/api/v1/targets/{t['target_id']}/milestones/{t['milestones'][i]['milestone_id']}/progress"


async def test_only_lead_and_responsible_units_report_and_cooperators_cannot_complete(api, settings):
    settings.today = DAY0
    mine = snapshot("XH-P1", LEAD, [DAY0 + timedelta(days=30)], responsible=(RESP,), cooperating=(COOP,),
                    expected=[10.0])
    theirs = snapshot("XH-P2", OTHER, [DAY0 + timedelta(days=30)], expected=[10.0])
    await publish_targets(api, settings, [mine, theirs])

    r = await api.post(_progress(theirs, 0), json={"actual_value": 10}, headers=headers(settings, "unit_reporter", LEAD))
    assert r.status_code == 403 and r.json()["error"] == "unit_forbidden"
    r = await api.post(_progress(mine, 0), json={"actual_value": 10}, headers=headers(settings, "unit_reporter", COOP))
    assert r.status_code == 403
    r = await api.post(_progress(mine, 0), json={"actual_value": 10}, headers=headers(settings, "leader", LEAD))
    assert r.status_code == 403 and r.json()["error"] == "role_forbidden"
    r = await api.post(_progress(mine, 0), json={"actual_value": 10},
                       headers=headers(settings, "unit_reporter", LEAD, scope="huangpu"))
    assert r.status_code == 403 and r.json()["error"] == "scope_forbidden"
    assert (await api.post(_progress(mine, 0), json={"actual_value": 10})).status_code == 401
    r = await api.post(_progress(mine, 0), json={}, headers=headers(settings, "unit_reporter", LEAD))
    assert r.status_code == 422 and r.json()["error"] == "validation_failed"

    # The cooperating unit reports its share to the lead unit: recorded, but the milestone stays open.
    r = await api.post(f"/api/v1/targets/{mine['target_id']}/contributions",
                       json={"milestone_id": mine["milestones"][0]["milestone_id"], "value": 10,
                             "narrative": "城管执法队配合完成拆除10处"}, headers=headers(settings, "unit_reporter", COOP))
    assert r.status_code == 201, r.text
    assert r.json()["lead_unit"] == LEAD
    r = await api.post(f"/api/v1/targets/{mine['target_id']}/contributions", json={"narrative": "越权"},
                       headers=headers(settings, "unit_reporter", OTHER))
    assert r.status_code == 403
    view = (await api.get(f"/api/v1/targets/{mine['target_id']}", headers=headers(settings, "unit_reporter", LEAD))).json()
    assert view["milestones"][0]["status"] == "pending" and view["milestones"][0]["completed_on"] is None

    # A responsible unit may report and complete.
    r = await api.post(_progress(mine, 0), json={"actual_value": 10, "narrative": "完成"},
                       headers=headers(settings, "unit_reporter", RESP))
    assert r.status_code == 201 and r.json()["milestone_status"] == "done_early"


async def test_status_moves_pending_due_soon_done_early_on_time_and_late(api, settings):
    settings.today = DAY0
    due = [DAY0 + timedelta(days=d) for d in (5, 20, 40)]
    t = snapshot("XH-S1", LEAD, due, expected=[5.0, 10.0, 15.0])
    reporter = headers(settings, "unit_reporter", LEAD)
    async with listening(settings.amqp_url, "execution.milestone.completed", "execution.progress.reported") as seen:
        await publish_targets(api, settings, [t])
        statuses = [m["status"] for m in (await api.get(f"/api/v1/targets/{t['target_id']}", headers=reporter)).json()["milestones"]]
        assert statuses == ["due_soon", "pending", "pending"]

        r = await api.post(_progress(t, 0), json={"actual_value": 3, "narrative": "已完成3处"}, headers=reporter)
        assert r.json()["milestone_status"] == "due_soon"  # partial progress does not complete
        r = await api.post(_progress(t, 0), json={"actual_value": 5}, headers=reporter)
        assert r.json()["milestone_status"] == "done_early"

        settings.today = due[1]  # reported on the due date itself: on time
        r = await api.post(_progress(t, 1), json={"actual_value": 10}, headers=reporter)
        assert r.json()["milestone_status"] == "done_on_time"

        settings.today = due[2] + timedelta(days=3)  # three days late
        r = await api.post(_progress(t, 2), json={"actual_value": 15}, headers=reporter)
        assert r.json()["milestone_status"] == "done_late"
        # Reporting more after completion keeps the completion as it was.
        r = await api.post(_progress(t, 2), json={"actual_value": 16}, headers=reporter)
        assert r.json()["milestone_status"] == "done_late"
        r = await api.post(_progress(t, 2), json={"actual_value": 16, "reported_on": (settings.today + timedelta(days=1)).isoformat()},
                           headers=reporter)
        assert r.status_code == 422

        async def all_seen():
            done = [e.payload["timeliness"] for e in seen if e.event_type == "execution.milestone.completed"]
            assert done == ["early", "on_time", "late"]
            assert sum(e.event_type == "execution.progress.reported" for e in seen) == 5
        await eventually(all_seen)
    seqs = [e.sequence for e in seen if e.aggregate_id == t["milestones"][0]["milestone_id"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


async def test_a_correction_is_a_new_report_and_history_shows_both(api, settings):
    settings.today = DAY0
    t = snapshot("XH-C1", LEAD, [DAY0 + timedelta(days=60)], expected=[100.0])
    await publish_targets(api, settings, [t])
    reporter = headers(settings, "unit_reporter", LEAD)
    first = (await api.post(_progress(t, 0), json={"actual_value": 40, "narrative": "完成40"}, headers=reporter)).json()
    r = await api.post(_progress(t, 0), json={"actual_value": 35, "narrative": "更正：实际35", "corrects_report_id": first["id"]},
                       headers=reporter)
    assert r.status_code == 201 and r.json()["corrects_report_id"] == first["id"]
    r = await api.post(_progress(t, 0), json={"actual_value": 1, "corrects_report_id": "nope"}, headers=reporter)
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "body.corrects_report_id"

    history = (await api.get(_progress(t, 0).replace("/progress", "/reports"), headers=reporter)).json()
    assert [(x["actual_value"], x["corrects_report_id"]) for x in history["reports"]] == [(35, first["id"]), (40, None)]
    assert history["milestone"]["latest_value"] == 35
    r = await api.get(_progress(t, 0).replace("/progress", "/reports"), headers=headers(settings, "unit_reporter", OTHER))
    assert r.status_code == 403
    r = await api.get(_progress(t, 0).replace("/progress", "/reports"), headers=headers(settings, "leader"))
    assert r.status_code == 200

    # Every write is attributable: who, as which unit, what; refused writes leave no trace.
    engine = make_engine(settings.database_url, 1)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT actor, unit, after FROM audit_log WHERE action = 'progress.reported' "
                                            "AND entity_id = :m ORDER BY id"),
                                       {"m": t["milestones"][0]["milestone_id"]})).all()
    finally:
        await engine.dispose()
    assert [(r.actor, r.unit, r.after["actual_value"], r.after["report_id"]) for r in rows] == [
        (f"unit_reporter@{LEAD}", LEAD, 40, first["id"]), (f"unit_reporter@{LEAD}", LEAD, 35, history["reports"][0]["id"])]


async def test_backdating_an_overdue_milestone_to_1900_is_refused_and_changes_nothing(api, settings):
    """Issue 12, finding 3: reported_on 1900-01-01 on a milestone overdue since its due date made it done_early."""
    due = DAY0 + timedelta(days=30)
    t = snapshot("XH-BD1", LEAD, [due, due + timedelta(days=30)], expected=[10.0, 20.0])
    settings.today = DAY0
    await publish_targets(api, settings, [t])
    settings.today = due + timedelta(days=15)  # half a month overdue
    reporter = headers(settings, "unit_reporter", LEAD)
    engine = make_engine(settings.database_url, 1)

    async def state():
        async with engine.connect() as conn:
            m = (await conn.execute(text("SELECT status, completed_on FROM milestones WHERE id = :m"),
                                    {"m": t["milestones"][0]["milestone_id"]})).one()
            reports = await conn.scalar(text("SELECT count(*) FROM progress_reports WHERE target_id = :t"),
                                        {"t": t["target_id"]})
            events = await conn.scalar(text("SELECT count(*) FROM outbox WHERE aggregate_id = :m"),
                                       {"m": t["milestones"][0]["milestone_id"]})
        return tuple(m), reports, events
    try:
        r = await api.post(_progress(t, 0), json={"actual_value": 10}, headers=reporter)  # warm: status now overdue
        assert r.status_code == 201 and r.json()["milestone_status"] == "done_late"
        before = await state()
        cases = {"1900-01-01": "reported_on_before_period",
                 (settings.today - timedelta(days=8)).isoformat(): "reported_on_backdated",
                 (settings.today + timedelta(days=1)).isoformat(): "reported_on_in_future"}
        second = _progress(t, 1)  # open milestone, its period starts at the first one's due date
        for day, code in cases.items():
            r = await api.post(second, json={"actual_value": 20, "reported_on": day}, headers=reporter)
            assert r.status_code == 422, r.text
            assert r.json()["error"] == code and r.json()["details"][0]["field"] == "body.reported_on"
        r = await api.post(_progress(t, 0), json={"actual_value": 10, "reported_on": "1900-01-01"},
                           headers=reporter)
        assert r.status_code == 422 and r.json()["error"] == "reported_on_before_period"
        assert await state() == before
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM progress_reports WHERE milestone_id = :m"),
                                     {"m": t["milestones"][1]["milestone_id"]}) == 0
        # Within the tolerance a backfill is still accepted and judged on its own date.
        week_ago = (settings.today - timedelta(days=7)).isoformat()
        r = await api.post(second, json={"actual_value": 20, "reported_on": week_ago}, headers=reporter)
        assert r.status_code == 201 and r.json()["milestone_status"] == "done_early", r.text
    finally:
        await engine.dispose()

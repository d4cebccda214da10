"""Lianyungang's systems (系统): a system's lead unit (系统牵头单位) enters the evaluations of its system's units and
only those, whether the units are a district's (a district scheme) or the city's districts (a city scheme).
Hand-computed expectations in the comments."""
from bihuan_shared.testing.services import bearer

SYSTEM = {"key": "sys", "name": "系统评价", "kind": "evaluation", "evaluation_kind": "system", "weight": 100}


async def test_lead_unit_rates_only_its_system(make_api):
    api, feed = make_api("lyg-systems")
    for code in ("X1", "X2", "X3"):
        await feed.unit(code, f"县区{code}", "县区")
    for code in ("S1", "S2"):
        await feed.unit(code, f"市直部门{code}", "市直部门", kind="line_department")
    await api.applied(feed)
    rules = {"groups": [{"key": "county", "name": "县区组", "unit_groups": ["县区"], "components": [SYSTEM]},
                        {"key": "dept", "name": "市直部门组", "unit_groups": ["市直部门"], "components": [SYSTEM]}],
             "systems": [{"code": "county", "name": "县区系统", "lead_unit": "S1", "units": ["X1", "X2", "X3"]},
                         {"code": "dept", "name": "市直部门系统", "lead_unit": "S2", "units": ["S1"]}]}
    bad = {**rules, "systems": [{**rules["systems"][0], "units": ["X1", "NOPE"]}]}
    r = await api.client.post("/api/v1/schemes", json={"scope": api.scope, "year": 2026, "name": "错", "rules": bad},
                              headers=api.assessor)
    assert r.status_code == 422 and [d["field"] for d in r.json()["details"]] == ["body.rules.systems.0.units.1"]
    assessment = await api.open_scheme(rules)
    s1 = api.as_("unit_reporter", "S1")
    # Outside its system (S2 is in 市直部门系统): the whole batch is refused, naming the system; nothing is stored.
    r = await api.client.post("/api/v1/evaluations", json={"scope": api.scope, "year": 2026, "items": [
        {"unit": "X1", "kind": "system", "score": 90}, {"unit": "S2", "kind": "system", "score": 100}]}, headers=s1)
    assert r.status_code == 403 and r.json()["error"] == "system_forbidden", r.text
    assert "县区系统" in r.json()["message"] and r.json()["details"] == [
        {"field": "items.1.unit", "message": "S2 不属于「县区系统」系统"}]
    # A unit that leads no system, and a lead unit's rating of another kind, are refused too.
    r = await api.client.post("/api/v1/evaluations", json={"scope": api.scope, "year": 2026, "items": [
        {"unit": "X1", "kind": "system", "score": 90}]}, headers=api.as_("unit_reporter", "X2"))
    assert r.status_code == 403 and r.json()["error"] == "not_system_lead"
    r = await api.post("/evaluations", {"scope": api.scope, "year": 2026, "items": [
        {"unit": "X1", "kind": "system", "score": 90},
        {"unit": "X2", "kind": "system", "score": 70},
        {"unit": "X3", "kind": "leader", "score": 100},                       # not a lead unit's kind
        {"unit": "X3", "kind": "system", "evaluator": "S2", "score": 100}]},  # not in another unit's name
        headers=s1)
    assert r["accepted"] == 2 and {(e["index"], e["field"]) for e in r["errors"]} == {(2, "kind"), (3, "evaluator")}
    # The lead unit's leader rates as the unit too (it replaces the reporter's 70); S2's reporter rates S1.
    await api.post("/evaluations", {"scope": api.scope, "year": 2026, "items": [
        {"unit": "X2", "kind": "system", "score": 80}, {"unit": "X3", "kind": "system", "score": 60}]},
        headers=api.as_("leader", "S1"))
    await api.post("/evaluations", {"scope": api.scope, "year": 2026, "items": [
        {"unit": "S1", "kind": "system", "score": 85}]}, headers=api.as_("unit_reporter", "S2"))
    # The office enters a paper ballot in the system's name for any unit (it is not a lead unit).
    await api.post("/evaluations", {"scope": api.scope, "year": 2026, "items": [
        {"unit": "S2", "kind": "system", "evaluator": "市委组织部", "score": 75}]})
    scores = await api.compute(assessment)
    # X1 90, X2 80 (the leader's entry is S1's and replaced 70), X3 60, S1 85, S2 75: one evaluation each, × 100%
    assert {u: s["total"] for u, s in scores.items()} == {"X1": 90.0, "X2": 80.0, "X3": 60.0, "S1": 85.0, "S2": 75.0}
    card = await api.card(assessment, "X2")
    assert [line["text"] for line in card["lines"]] == ["系统评价: S1的系统牵头单位评价 80分，1份取平均"]


async def test_city_system_lead_rates_only_its_districts(make_api):
    api, city = make_api("lyg-city")
    other_api, other_city = make_api("lyg-other-city")
    await city.city()
    await other_city.city()
    for code in ("lc-d1", "lc-d2", "lc-d3"):
        await city.district(code, f"区{code}")
    district = make_api.feeder("lc-d1")
    await district.unit("LC1-U", "区属单位", "街镇")

    class Sent:
        sent = city.sent + other_city.sent + district.sent
    await api.applied(Sent)
    rules = {"groups": [{"key": "all", "name": "县区组", "units": ["lc-d1", "lc-d2", "lc-d3"], "components": [SYSTEM]}],
             "systems": [{"code": "north", "name": "北部县区系统", "lead_unit": "CITY-DEV", "units": ["lc-d1", "lc-d2"]}]}
    assessment = await api.open_scheme(rules)
    lead = api.as_("unit_reporter", "CITY-DEV")
    r = await api.client.post("/api/v1/evaluations", json={"scope": api.scope, "year": 2026, "items": [
        {"unit": "lc-d3", "kind": "system", "score": 50}]}, headers=lead)
    assert r.status_code == 403 and "北部县区系统" in r.json()["message"]
    r = await api.post("/evaluations", {"scope": api.scope, "year": 2026, "items": [
        {"unit": "lc-d1", "kind": "system", "score": 88}, {"unit": "lc-d2", "kind": "system", "score": 66}]},
        headers=lead)
    assert r["accepted"] == 2
    # A district's reporter, another city's lead unit of the same code, and a district's assessor enter nothing here.
    for headers in (bearer(api.settings, "unit_reporter", "CITY-DEV", scope="lc-d1"),
                    other_api.as_("unit_reporter", "CITY-DEV"), bearer(api.settings, "assessor", scope="lc-d1")):
        r = await api.client.post("/api/v1/evaluations", json={"scope": api.scope, "year": 2026, "items": [
            {"unit": "lc-d1", "kind": "system", "score": 0}]}, headers=headers)
        assert r.status_code == 403, r.text
    scores = await api.compute(assessment)
    assert {u: s["total"] for u, s in scores.items()} == {"lc-d1": 88.0, "lc-d2": 66.0, "lc-d3": 0.0}

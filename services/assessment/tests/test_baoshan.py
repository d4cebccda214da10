"""Baoshan: leader evaluation 35 + management departments 25 + third party 20 + three-center objective data 20.
Leader scores by API, department scores by Excel import, third party by its own role, three-center data from
supervision's events. Hand-computed expectations in the comments."""
import io

from openpyxl import Workbook

from bihuan_shared.testing.services import audit_trail, bearer

RULES = {"groups": [{
    "key": "streets", "name": "街镇组", "unit_groups": ["街镇"],
    "components": [
        {"key": "leader", "name": "领导评价", "kind": "evaluation", "weight": 35, "evaluation_kind": "leader"},
        {"key": "dept", "name": "职能部门评价", "kind": "evaluation", "weight": 25, "evaluation_kind": "department"},
        {"key": "third", "name": "第三方评估", "kind": "evaluation", "weight": 20, "evaluation_kind": "third_party"},
        {"key": "centers", "name": "三个中心客观数据", "kind": "indicators", "weight": 20, "indicators": [
            {"key": "sat", "name": "满意率", "metric": "satisfaction_rate", "source": "three_centers",
             "period_kind": "month", "scoring": "rate"},
            {"key": "close", "name": "按时办结率", "metric": "on_time_close_rate", "source": "three_centers",
             "period_kind": "month", "scoring": "rate"}]}],
    "grades": [{"name": "优秀", "min_score": 90, "quota": 0.34}, {"name": "良好", "min_score": 80},
               {"name": "合格", "min_score": 60}, {"name": "不合格", "min_score": 0}]}]}


def sheet(rows) -> bytes:
    book = Workbook()
    book.active.append(["单位代码", "评价类型", "评价人", "分数", "说明"])
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_baoshan_four_components(make_api):
    api, feed = make_api("baoshan")
    for code, name in (("B1", "友谊路街道"), ("B2", "吴淞街道"), ("B3", "张庙街道")):
        await feed.unit(code, name, "街镇")
    ids = [await feed.metrics("B1", "2026-01", {"satisfaction_rate": 0.9, "on_time_close_rate": 0.8}),
           await feed.metrics("B1", "2026-02", {"satisfaction_rate": 0.96, "on_time_close_rate": 0.9})]
    await feed.metrics("B2", "2026-01", {"satisfaction_rate": 1.0, "on_time_close_rate": 1.0})
    await feed.metrics("B3", "2026-01", {"satisfaction_rate": 0.5, "on_time_close_rate": 0.6})
    await api.applied(feed)
    bad = {"groups": [{**RULES["groups"][0], "components": [{"key": "x", "name": "x", "kind": "evaluation",
                                                              "weight": -1}]}]}
    r = await api.client.post("/api/v1/schemes", json={"scope": "baoshan", "year": 2026, "name": "错", "rules": bad},
                              headers=api.assessor)
    assert r.status_code == 422 and "body.rules.groups.0.components.0.weight" in {d["field"] for d in r.json()["details"]}
    assessment = await api.open_scheme(RULES)
    again = await api.client.post(f"/api/v1/schemes/{api.scheme_id}/open", json={}, headers=api.assessor)
    assert again.status_code == 409
    # Each leader scores as itself: the token's user is the evaluator.
    mayor, deputy = (bearer(api.settings, "leader", scope="baoshan", user=u) for u in ("区长", "副区长"))
    r = await api.post("/evaluations", {"scope": "baoshan", "year": 2026, "items": [
        {"unit": "B1", "kind": "leader", "score": 90},
        {"unit": "B2", "kind": "leader", "evaluator": "区长", "score": 100},
        {"unit": "B3", "kind": "leader", "score": 60},
        {"unit": "B3", "kind": "third_party", "score": 50}]},     # bad: not a leader's kind
        headers=mayor)
    assert r["accepted"] == 3 and r["rejected"] == 1 and {(e["index"], e["field"]) for e in r["errors"]} == {(3, "kind")}
    r = await api.post("/evaluations", {"scope": "baoshan", "year": 2026, "items": [
        {"unit": "B1", "kind": "leader", "score": 80},
        {"unit": "B3", "kind": "leader", "score": 130}]},         # bad: out of range
        headers=deputy)
    assert r["accepted"] == 1 and {(e["index"], e["field"]) for e in r["errors"]} == {(1, "score")}
    files = {"file": ("dept.xlsx", sheet([["B1", "职能部门评价", "区发改委", 80, ""], ["B2", "职能部门评价", "区发改委", 100, ""],
                                          ["B3", "职能部门评价", "区发改委", 70, ""], ["B9", "不存在", "x", "abc", ""]]))}
    res = await api.client.post("/api/v1/evaluations/import", data={"scope": "baoshan", "year": "2026"}, files=files,
                                headers=api.assessor)
    assert res.status_code == 200, res.text
    assert res.json()["accepted"] == 3 and {e["index"] for e in res.json()["errors"]} == {5}
    short = {"file": ("short.xlsx", sheet([["B1", "职能部门评价"]]))}
    res = await api.client.post("/api/v1/evaluations/import", data={"scope": "baoshan", "year": "2026"}, files=short,
                                headers=api.assessor)
    assert res.status_code == 200 and res.json()["errors"][0]["field"] == "score"
    junk = {"file": ("dept.xlsx", b"not a workbook")}
    res = await api.client.post("/api/v1/evaluations/import", data={"scope": "baoshan", "year": "2026"}, files=junk,
                                headers=api.assessor)
    assert res.status_code == 422 and res.json()["error"] == "bad_excel"
    await api.post("/evaluations", {"scope": "baoshan", "year": 2026, "items": [
        {"unit": "B1", "kind": "third_party", "score": 90}, {"unit": "B2", "kind": "third_party", "score": 95},
        {"unit": "B3", "kind": "third_party", "score": 50}]}, headers=api.as_("third_party"))

    scores = await api.compute(assessment)
    # B1: 35×85% + 25×80% + 20×90% + 20×((93+85)/2)% = 29.75 + 20 + 18 + 17.8
    assert scores["B1"]["total"] == 85.55
    assert scores["B2"]["total"] == 99.0   # 35 + 25 + 19 + 20
    assert scores["B3"]["total"] == 59.5   # 21 + 17.5 + 10 + 11
    assert [(scores[u]["rank"], scores[u]["grade"]) for u in ("B2", "B1", "B3")] == [
        (1, "优秀"), (2, "良好"), (3, "不合格")]
    assert scores["B1"]["components"]["leader"]["points"] == 29.75

    card = await api.card(assessment, "B1")
    assert round(sum(line["points"] for line in card["lines"]), 2) == 85.55
    centers = [line for line in card["lines"] if line["component"] == "centers"]
    assert set(ids) <= {s for line in centers for s in line["sources"]}  # the supervision events behind the points
    assert all(line["rule"].startswith("components.centers.indicators.") for line in centers)

    # A unit sees its own scorecard, not another's.
    own = await api.client.get(f"/api/v1/assessments/{assessment}/scorecards/B1", headers=api.as_("unit_reporter", "B1"))
    other = await api.client.get(f"/api/v1/assessments/{assessment}/scorecards/B2",
                                 headers=api.as_("unit_reporter", "B1"))
    assert (own.status_code, other.status_code) == (200, 403)
    report = await api.client.get(f"/api/v1/assessments/{assessment}/report.xlsx", headers=api.assessor)
    assert report.status_code == 200 and report.content[:2] == b"PK"
    # Reads a city must account for are audited like writes (issue 12 #9): the unit's own card, not the refused one.
    cards = [(r["actor"], r["entity_id"]) for r in await audit_trail(api.settings.database_url, "scorecard.read")]
    assert ("unit_reporter@B1", f"{assessment}/1/B1") in cards and not [c for c in cards if c[1].endswith("/B2")]
    exports = await audit_trail(api.settings.database_url, "report.exported")
    assert [r["note"].rsplit(".", 1)[1] for r in exports] == ["xlsx"] and exports[-1]["role"] == "assessor"
    pdf = await api.client.get(f"/api/v1/assessments/{assessment}/report.pdf", headers=api.assessor)
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    denied = await api.client.get(f"/api/v1/assessments/{assessment}/report.pdf", headers=api.as_("unit_reporter", "B1"))
    assert denied.status_code == 403

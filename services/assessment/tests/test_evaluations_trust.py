"""Issue 12, finding 2: an evaluation is written only by its evaluator (or the office on its behalf), only for units
the year's scheme assesses, and an overwrite keeps the replaced score in the audit. JSON route and Excel import."""
import io
import json

from openpyxl import Workbook
from sqlalchemy import text

from bihuan_shared.testing.services import bearer

RULES = {"groups": [{"key": "streets", "name": "街镇组", "unit_groups": ["街镇"], "components": [
    {"key": "leader", "name": "领导评价", "kind": "evaluation", "weight": 50, "evaluation_kind": "leader"},
    {"key": "third", "name": "第三方评估", "kind": "evaluation", "weight": 50, "evaluation_kind": "third_party"}]}]}


def workbook(rows) -> dict:
    book = Workbook()
    book.active.append(["单位代码", "评价类型", "评价人", "分数", "说明"])
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return {"file": ("eval.xlsx", buffer.getvalue())}


async def scores(db, scope: str) -> dict:
    async with db.connect() as conn:
        rows = await conn.execute(text("select unit, kind, evaluator, score from evaluations where scope = :s"),
                                  {"s": scope})
    return {(u, k, e): s for u, k, e, s in rows}


async def opened(make_api, scope: str):
    api, feed = make_api(scope)
    await feed.unit("E1", "江湾镇", "街镇")
    await feed.unit("E2", "高境镇", "街镇")
    await feed.unit("X1", "区外单位", "不在考核组")
    await api.applied(feed)
    await api.open_scheme(RULES)
    return api


async def test_a_third_party_cannot_change_the_agency_score(make_api, db):
    api = await opened(make_api, "evtp")
    agency = bearer(api.settings, "third_party", "AGENCY-A", scope="evtp", user="staff1@agency-a")
    other = bearer(api.settings, "third_party", "AGENCY-B", scope="evtp", user="staff@agency-b")
    body = {"scope": "evtp", "year": 2026, "items": [{"unit": "E1", "kind": "third_party", "score": 94.5}]}
    assert (await api.post("/evaluations", body, headers=agency))["accepted"] == 1
    hostile = {"scope": "evtp", "year": 2026,
               "items": [{"unit": "E1", "kind": "third_party", "evaluator": "AGENCY-A", "score": 1}]}
    r = await api.post("/evaluations", hostile, headers=other)
    assert r["accepted"] == 0 and [(e["index"], e["field"], e["code"]) for e in r["errors"]] == [
        (0, "evaluator", "evaluator_forbidden")]
    res = await api.client.post("/api/v1/evaluations/import", data={"scope": "evtp", "year": "2026"},
                                files=workbook([["E1", "第三方评估", "AGENCY-A", 1, ""]]), headers=other)
    assert res.status_code == 200 and [(e["row"], e["field"]) for e in res.json()["errors"]] == [(2, "evaluator")]
    # Its own score is its own row, next to the agency's untouched one.
    assert (await api.post("/evaluations", {**hostile, "items": [{**hostile["items"][0], "evaluator": None}]},
                           headers=other))["accepted"] == 1
    assert await scores(db, "evtp") == {("E1", "third_party", "AGENCY-A"): 94.5, ("E1", "third_party", "AGENCY-B"): 1}


async def test_a_leader_cannot_change_another_leaders_score(make_api, db):
    api = await opened(make_api, "evld")
    mayor, deputy = (bearer(api.settings, "leader", scope="evld", user=u) for u in ("区长", "副区长"))
    body = {"scope": "evld", "year": 2026, "items": [{"unit": "E1", "kind": "leader", "score": 79.8}]}
    await api.post("/evaluations", body, headers=mayor)
    r = await api.post("/evaluations", {**body, "items": [{**body["items"][0], "evaluator": "区长", "score": 2}]},
                       headers=deputy)
    assert r["accepted"] == 0 and r["errors"][0]["field"] == "evaluator"
    res = await api.client.post("/api/v1/evaluations/import", data={"scope": "evld", "year": "2026"},
                                files=workbook([["E1", "领导评价", "区长", 2, ""]]), headers=deputy)
    assert res.json()["accepted"] == 0 and res.json()["errors"][0]["field"] == "evaluator"
    # The office still enters a paper ballot on a leader's behalf.
    r = await api.post("/evaluations", {**body, "items": [{**body["items"][0], "evaluator": "副区长", "score": 85}]})
    assert r["accepted"] == 1
    assert await scores(db, "evld") == {("E1", "leader", "区长"): 79.8, ("E1", "leader", "副区长"): 85}


async def test_unknown_units_refused_by_row_and_the_valid_rows_kept(make_api, db):
    api = await opened(make_api, "evun")
    r = await api.post("/evaluations", {"scope": "evun", "year": 2026, "items": [
        {"unit": "E1", "kind": "leader", "evaluator": "区长", "score": 90},
        {"unit": "NOPE", "kind": "leader", "evaluator": "区长", "score": 90},
        {"unit": "X1", "kind": "leader", "evaluator": "区长", "score": 90}]})   # in the directory, in no group
    assert r["accepted"] == 1 and [(e["index"], e["field"], e["code"]) for e in r["errors"]] == [
        (1, "unit", "unit_unknown"), (2, "unit", "unit_unknown")]
    res = await api.client.post("/api/v1/evaluations/import", data={"scope": "evun", "year": "2026"}, headers=api.assessor,
                                files=workbook([["E2", "领导评价", "区长", 70, ""], ["NOPE", "领导评价", "区长", 70, ""]]))
    body = res.json()
    assert res.status_code == 200 and body["accepted"] == 1 and body["rejected"] == 1
    assert [(e["row"], e["field"], e["column"]) for e in body["errors"]] == [(3, "unit", "A (单位代码)")]
    assert set(await scores(db, "evun")) == {("E1", "leader", "区长"), ("E2", "leader", "区长")}


async def test_an_overwrite_keeps_the_replaced_score_in_the_audit(make_api, db):
    api = await opened(make_api, "evau")
    body = {"scope": "evau", "year": 2026, "items": [{"unit": "E1", "kind": "leader", "evaluator": "区长", "score": 79.8}]}
    await api.post("/evaluations", body)
    await api.post("/evaluations", {**body, "items": [{**body["items"][0], "score": 88}]})
    async with db.connect() as conn:
        rows = (await conn.execute(text("select before, after from audit_log where action = 'evaluations.entered'"
                                        " and entity_id = 'evau/2026' order by at"))).all()
    first, second = [(b if not isinstance(b, str) else json.loads(b), a) for b, a in rows]
    assert first[0] is None
    assert [(x["unit"], x["evaluator"], x["score"]) for x in second[0]] == [("E1", "区长", 79.8)]
    assert second[1][0]["score"] == 88

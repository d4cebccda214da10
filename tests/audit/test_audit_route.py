"""GET /api/v1/audit: a district's offices read who did what in that district, newest first, page by page; never another
district's records; a unit reporter not at all; a city's office its districts. Real PostgreSQL, a real service app."""
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.routes import create_app, migrations, settings_class
from bihuan_shared.testing.services import bearer, running_app


async def test_a_district_reads_its_own_audit_trail_page_by_page(make_database, amqp_url, infra, redis_prefix):
    url = await make_database("audit_route")
    await upgrade_async(migrations("planning"), url)
    settings = settings_class("planning")(database_url=url, amqp_url=amqp_url, redis_url=infra.redis_url,
                                          redis_prefix=redis_prefix)
    city = bearer(settings, "target_office", None, "sh")
    xh, mh = (bearer(settings, "target_office", None, code) for code in ("xh", "mh"))
    async with running_app(create_app("planning", settings)) as client:
        assert (await client.put("/api/v1/scopes/sh", json={"name": "上海市", "kind": "city"},
                                 headers=city)).status_code in (200, 201)
        for code, name in (("xh", "徐汇区"), ("mh", "闵行区")):
            r = await client.put(f"/api/v1/scopes/{code}", json={"name": name, "kind": "district", "parent": "sh"},
                                 headers=city)
            assert r.status_code in (200, 201), r.text
        for i in range(5):
            r = await client.put(f"/api/v1/directory/xh/units/U-{i}", json={"name": f"单位{i}",
                                                                           "kind": "line_department"}, headers=xh)
            assert r.status_code in (200, 201), r.text
        r = await client.put("/api/v1/directory/mh/units/U-M", json={"name": "闵行单位", "kind": "line_department"},
                             headers=mh)
        assert r.status_code in (200, 201), r.text

        first = (await client.get("/api/v1/audit", params={"limit": 3}, headers=xh)).json()
        assert [r["entity_id"] for r in first["records"]] == ["xh:U-4", "xh:U-3", "xh:U-2"]
        assert {(r["actor"], r["scope"]) for r in first["records"]} == {("target_office@xh", "xh")}
        assert all(r["token_id"] and r["after"]["name"].startswith("单位") for r in first["records"])
        rest = (await client.get("/api/v1/audit", params={"limit": 3, "before_id": first["next_before_id"]},
                                 headers=xh)).json()
        assert [r["entity_id"] for r in rest["records"]] == ["xh:U-1", "xh:U-0"] and rest["next_before_id"] is None
        assert "mh:U-M" not in {r["entity_id"] for r in first["records"] + rest["records"]}

        one = (await client.get("/api/v1/audit", params={"entity_type": "unit", "entity_id": "xh:U-2"},
                                headers=xh)).json()
        assert [r["entity_id"] for r in one["records"]] == ["xh:U-2"]
        # the city's office reads a district under it; a district never reads its neighbour; a unit not at all
        r = await client.get("/api/v1/audit", params={"scope": "mh"}, headers=city)
        assert r.status_code == 200 and [x["entity_id"] for x in r.json()["records"]][0] == "mh:U-M"
        r = await client.get("/api/v1/audit", params={"scope": "mh"}, headers=xh)
        assert (r.status_code, r.json()["error"]) == (403, "scope_forbidden")
        r = await client.get("/api/v1/audit", headers=bearer(settings, "unit_reporter", "U-1", "xh"))
        assert (r.status_code, r.json()["error"]) == (403, "role_forbidden")
        r = await client.get("/api/v1/audit", params={"limit": 0}, headers=xh)
        assert r.status_code == 422 and r.json()["details"][0]["field"] == "query.limit"

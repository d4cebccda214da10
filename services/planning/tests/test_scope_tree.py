"""The scope tree through the API: a city registers its districts and reads them, never writes in them; another city
and another district see nothing; every registration is an event with the city named."""
import uuid

from bihuan_shared.testing.services import eventually


def _codes(r) -> list[str]:
    assert r.status_code == 200, r.text
    return [s["code"] for s in r.json()]


async def test_a_city_registers_its_districts_and_reads_but_never_writes_them(client, as_, events):
    tag = uuid.uuid4().hex[:6]
    city, other_city, d1, d2, lone = f"qd{tag}", f"lyg{tag}", f"qd{tag}-hd", f"qd{tag}-ls", f"xh{tag}"
    office = lambda scope, role="target_office": as_(role, scope=scope)  # noqa: E731
    assert (await client.put(f"/api/v1/scopes/{city}", json={"name": "青岛市", "kind": "city"},
                             headers=office(city))).status_code == 200
    assert (await client.put(f"/api/v1/scopes/{other_city}", json={"name": "连云港市", "kind": "city"},
                             headers=office(other_city))).status_code == 200
    for code, name in ((d1, "黄岛区"), (d2, "崂山区")):
        r = await client.put(f"/api/v1/scopes/{code}", json={"name": name, "kind": "district", "parent": city},
                             headers=office(city))
        assert r.status_code == 200, r.text
    assert (await client.put(f"/api/v1/scopes/{lone}", json={"name": "徐汇区"}, headers=office(lone))).status_code == 200

    # Neither another city nor the district itself may attach a district to a city.
    r = await client.put(f"/api/v1/scopes/{city}-x", json={"name": "x", "kind": "district", "parent": city},
                         headers=office(other_city))
    assert r.status_code == 403 and r.json()["error"] == "scope_forbidden"
    r = await client.put(f"/api/v1/scopes/{lone}", json={"name": "徐汇区", "parent": city}, headers=office(lone))
    assert r.status_code == 409 and r.json()["details"][0]["field"] == "parent"
    r = await client.put(f"/api/v1/scopes/{d1}", json={"name": "黄岛区", "parent": other_city},
                         headers=office(other_city))
    assert r.status_code == 409 and r.json()["error"] == "scope_parent_fixed"

    assert _codes(await client.get("/api/v1/scopes", headers=office(city))) == sorted([city, d1, d2])
    assert _codes(await client.get("/api/v1/scopes", headers=office(other_city))) == [other_city]
    assert _codes(await client.get("/api/v1/scopes", headers=office(d1))) == [d1]

    # The district office fills its directory; the city reads it, the other city and the sibling district do not.
    unit = {"name": "黄岛区发改局", "kind": "line_department"}
    assert (await client.put(f"/api/v1/directory/{d1}/units/U-FG", json=unit, headers=office(d1))).status_code == 200
    assert _codes(await client.get(f"/api/v1/directory/{d1}/units", headers=office(city, "leader"))) == ["U-FG"]
    for stranger in (other_city, d2):
        r = await client.get(f"/api/v1/directory/{d1}/units", headers=office(stranger))
        assert r.status_code == 403 and r.json()["error"] == "scope_forbidden"
    r = await client.put(f"/api/v1/directory/{d1}/units/U-X", json=unit, headers=office(city))
    assert r.status_code == 403, "a city reads its districts; their directory is the district's to write"

    # A renamed district is an update with the next sequence; saving the same again emits nothing.
    for _ in range(2):
        r = await client.put(f"/api/v1/scopes/{d1}", json={"name": "西海岸新区", "kind": "district", "parent": city},
                             headers=office(city))
        assert r.status_code == 200

    async def tree_events_arrived():
        registered = events.of("planning.scope.registered", f"scope:{d1}")
        assert len(registered) == 1 and registered[0].payload["parent"] == city and registered[0].scope == city
        updated = events.of("planning.scope.updated", f"scope:{d1}")
        assert [e.sequence for e in updated] == [2] and updated[0].payload["name"] == "西海岸新区"

    await eventually(tree_events_arrived)


async def test_an_unregistered_scope_says_how_to_register_it(client, as_, scope):
    r = await client.put(f"/api/v1/directory/{scope}/units/U-1", json={"name": "x", "kind": "line_department"},
                         headers=as_("target_office"))
    assert r.status_code == 404 and r.json()["error"] == "scope_not_found"
    assert "登记" in r.json()["message"] and r.json()["details"][0]["message"] == f"PUT /api/v1/scopes/{scope}"

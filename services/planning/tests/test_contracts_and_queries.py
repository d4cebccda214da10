"""Responsibility contracts with their signing event; the book tree; queries; proposal documents."""
from bihuan_shared.testing.services import audit_trail, eventually


async def test_contract_lists_the_units_targets_and_signing_is_an_event(client, as_, directory, publish, events):
    office = as_("target_office")
    a = await publish(directory, "XH-20")
    b = await publish(directory, "XH-21", lead_unit="U-FGW", responsible_units=["U-KW"])
    await publish(directory, "XH-22", lead_unit="U-HM", responsible_units=[], cooperating_units=["U-KW"],
                  leader="L-WANG")
    body = {"scope": directory, "year": 2026, "unit": "U-KW"}
    r = await client.post("/api/v1/contracts", json=body, headers=as_("unit_reporter", "U-KW"))
    assert r.status_code == 403
    r = await client.post("/api/v1/contracts", json=body, headers=office)
    assert r.status_code == 201, r.text
    contract = r.json()
    assert contract["leader_code"] == "L-LI" and contract["status"] == "drafted"
    assert [t["target_id"] for t in contract["targets"]] == [a["id"], b["id"]]  # cooperating-only XH-22 not listed
    r = await client.post(f"/api/v1/contracts/{contract['id']}/sign", json={}, headers=as_("unit_reporter", "U-KW"))
    assert r.status_code == 403
    r = await client.post(f"/api/v1/contracts/{contract['id']}/sign", json={"note": "年初签订"},
                          headers=as_("leader", user="L-LI"))
    assert r.status_code == 200 and r.json()["status"] == "signed" and r.json()["signed_by"] == "L-LI"
    assert (await client.post("/api/v1/contracts", json=body, headers=office)).status_code == 409

    async def signed_on_the_broker():
        signed = events.of("planning.contract.signed", f"contract:{contract['id']}")
        assert len(signed) == 1 and signed[0].payload["unit_code"] == "U-KW"
        assert [t["code"] for t in signed[0].payload["targets"]] == ["XH-20", "XH-21"]

    await eventually(signed_on_the_broker)


async def test_queries_and_book_tree(client, as_, directory, publish, target_body):
    office = as_("target_office")
    parent = await publish(directory, "Q-1", title="优化营商环境", area="营商环境", category="key_work",
                           lead_unit="U-FGW", responsible_units=[], cooperating_units=["U-HM"], leader="L-WANG")
    await publish(directory, "Q-1.1", title="企业开办一日办结", area="营商环境", parent_id=parent["id"])
    await publish(directory, "Q-2", title="每万人口发明专利_100%", area="科技创新")

    async def codes(**params) -> list[str]:
        r = await client.get("/api/v1/targets", params={"scope": directory, **params}, headers=office)
        assert r.status_code == 200, r.text
        return [t["code"] for t in r.json()["items"]]

    assert await codes(unit="U-HM") == ["Q-1"]
    assert await codes(unit="U-HM", unit_role="lead") == []
    assert await codes(unit="U-ZSCQ", unit_role="responsible") == ["Q-1.1", "Q-2"]
    assert await codes(leader="L-WANG") == ["Q-1"]
    r = await client.get(f"/api/v1/directory/{directory}/leaders/L-WANG", headers=as_("leader", user="L-WANG"))
    assert r.json()["units"] == ["U-HM", "U-CGZF"] and [t["code"] for t in r.json()["targets"]] == ["Q-1"]
    r = await client.get(f"/api/v1/directory/{directory}/leaders/L-WANG", headers=as_("feed"))
    assert r.status_code == 403
    assert await codes(category="key_work") == ["Q-1"]
    assert await codes(area="科技创新") == ["Q-2"]
    assert await codes(q="一日") == ["Q-1.1"]
    assert await codes(q="_100%") == ["Q-2"] and await codes(q="%万人") == []
    assert await codes(top_level=True) == ["Q-1", "Q-2"]
    r = await client.get("/api/v1/targets", params={"scope": directory, "size": 2, "page": 2}, headers=office)
    assert r.json()["total"] == 3 and [t["code"] for t in r.json()["items"]] == ["Q-2"]
    r = await client.get("/api/v1/targets", params={"scope": directory}, headers=as_("target_office", scope="x"))
    assert r.status_code == 403

    tree = (await client.get(f"/api/v1/books/{directory}/2026", headers=office)).json()
    assert [a["area"] for a in tree["areas"]] == ["营商环境", "科技创新"] and tree["targets"] == 3
    assert [c["code"] for c in tree["areas"][0]["targets"][0]["children"]] == ["Q-1.1"]


async def test_proposal_upload_and_download(client, as_, directory, target_body, settings):
    office = as_("target_office")
    target = (await client.post("/api/v1/targets", json=target_body(directory, "P-1"), headers=office)).json()
    doc = "项目计划书：知识产权强区建设".encode()
    url = f"/api/v1/targets/{target['id']}/proposal"
    r = await client.post(url, files={"file": ("计划书.docx", doc)}, headers=as_("unit_reporter", "U-HM"))
    assert r.status_code == 403
    r = await client.post(url, files={"file": ("计划书.docx", doc)}, headers=as_("unit_reporter", "U-KW"))
    assert r.status_code == 201 and r.json()["proposal"]["filename"] == "计划书.docx"
    r = await client.get(url, headers=as_("leader", "U-KW"))
    assert r.status_code == 200 and r.content == doc
    reads = await audit_trail(settings.database_url, "target.proposal_downloaded")  # a read accounted for (#9)
    assert [(x["entity_id"], x["role"], x["unit"], x["note"]) for x in reads] == [
        (target["id"], "leader", "U-KW", "计划书.docx")]

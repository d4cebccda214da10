"""Evidence files: stored with their sha256, refused with a clear 413 / 422 when too large, of a type not allowed,
not what they claim to be or not the hash the client declared; attached once, by their own unit, and readable by the
target's units. Every test runs on the local disk store and on an S3-compatible server (tests/conftest.py)."""
import hashlib
from datetime import timedelta

import pytest

from bihuan_execution.evidence.testing import StoreView
from bihuan_execution.testing import DAY0, headers, publish_targets, snapshot
from bihuan_shared.testing.services import audit_trail

pytestmark = pytest.mark.parametrize("settings", ["local", "s3"], indirect=True, scope="module")

LEAD, OTHER = "U-GHJ", "U-ZJW"
PDF = b"%PDF-1.7\n" + "现场照片与验收单".encode() * 500


async def _upload(api, settings, content: bytes, content_type: str, unit: str = LEAD, name: str = "验收单.pdf",
                  sha256: str | None = None):
    return await api.post("/api/v1/evidence", files={"file": (name, content, content_type)},
                          data={"sha256": sha256} if sha256 else None, headers=headers(settings, "unit_reporter", unit))


async def test_upload_limits_give_clear_errors(api, settings):
    r = await _upload(api, settings, PDF, "application/pdf")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["size_bytes"] == len(PDF)
    store = StoreView(settings)
    key = f"{body['sha256'][:2]}/{body['sha256']}"
    assert store.keys() == {key} and store.read(key) == PDF

    r = await _upload(api, settings, b"%PDF-" + b"x" * settings.evidence_max_bytes, "application/pdf")
    assert r.status_code == 413 and r.json()["error"] == "evidence_too_large"
    r = await _upload(api, settings, b"%PDF-" + b"x" * (4 * settings.evidence_max_bytes), "application/pdf")
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"  # refused before multipart parsing
    r = await _upload(api, settings, b"MZ\x90\x00", "application/x-msdownload", name="a.exe")
    assert r.status_code == 422 and r.json()["error"] == "evidence_type_not_allowed"
    assert r.json()["details"][0]["field"] == "file"
    r = await _upload(api, settings, b"not really a picture", "image/png", name="photo.png")
    assert r.status_code == 422 and r.json()["error"] == "evidence_type_mismatch"
    r = await _upload(api, settings, b"", "text/plain", name="empty.txt")
    assert r.status_code == 422 and r.json()["error"] == "evidence_empty"
    r = await api.post("/api/v1/evidence", headers=headers(settings, "unit_reporter", LEAD))
    assert r.status_code == 422
    r = await _upload(api, settings, PDF, "application/pdf", unit=None)
    assert r.status_code == 403
    assert store.keys() == {key} and not store.leftovers(), "refused uploads leave nothing behind"


async def test_a_declared_hash_must_be_the_files(api, settings):
    store = StoreView(settings)
    before = store.keys()
    notes = "整改台账".encode() * 100
    r = await _upload(api, settings, notes, "text/plain", name="台账.txt", sha256=hashlib.sha256(b"other").hexdigest())
    assert r.status_code == 422 and r.json()["error"] == "evidence_hash_mismatch"
    assert r.json()["details"] == [{"field": "sha256", "message": f"文件的 sha256 为 {hashlib.sha256(notes).hexdigest()}"}]
    r = await _upload(api, settings, notes, "text/plain", name="台账.txt", sha256="not-a-hash")
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "body.sha256"
    assert store.keys() == before and not store.leftovers(), "a refused hash stores nothing"

    r = await _upload(api, settings, notes, "text/plain", name="台账.txt", sha256=hashlib.sha256(notes).hexdigest().upper())
    assert r.status_code == 201 and r.json()["sha256"] == hashlib.sha256(notes).hexdigest()


async def test_evidence_attaches_once_to_its_own_units_report(api, settings):
    settings.today = DAY0
    t = snapshot("XH-E1", LEAD, [DAY0 + timedelta(days=10)], expected=[1.0])
    await publish_targets(api, settings, [t])
    url = f"/api/v1/targets/{t['target_id']}/milestones/{t['milestones'][0]['milestone_id']}"
    mine = (await _upload(api, settings, PDF, "application/pdf")).json()
    theirs = (await _upload(api, settings, b"notes", "text/plain", unit=OTHER, name="n.txt")).json()
    reporter = headers(settings, "unit_reporter", LEAD)

    r = await api.post(url + "/progress", json={"actual_value": 1, "evidence_ids": [mine["id"], theirs["id"]]},
                       headers=reporter)
    assert r.status_code == 422
    assert r.json()["details"] == [{"index": 1, "field": "evidence_ids",
                                    "message": f"佐证材料 {theirs['id']} 不存在或不属于本单位"}]
    r = await api.post(url + "/progress", json={"actual_value": 1, "narrative": "验收完成", "evidence_ids": [mine["id"]]},
                       headers=reporter)
    assert r.status_code == 201 and [e["sha256"] for e in r.json()["evidence"]] == [mine["sha256"]]
    r = await api.post(url + "/progress", json={"actual_value": 1, "evidence_ids": [mine["id"]]}, headers=reporter)
    assert r.status_code == 422 and "已用于" in r.json()["details"][0]["message"]

    history = (await api.get(url + "/reports", headers=headers(settings, "supervisor"))).json()
    assert history["reports"][0]["evidence"][0]["filename"] == "验收单.pdf"
    r = await api.get(f"/api/v1/evidence/{mine['id']}", headers=headers(settings, "supervisor"))
    assert r.status_code == 200 and r.content == PDF and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == "attachment; filename*=utf-8''%E9%AA%8C%E6%94%B6%E5%8D%95.pdf"
    assert r.headers["x-content-type-options"] == "nosniff"  # never rendered as whatever its bytes look like
    r = await api.get(f"/api/v1/evidence/{mine['id']}", headers=headers(settings, "unit_reporter", OTHER))
    assert r.status_code == 403
    # the download is accounted for (issue 12 #9): who read which file, in which scope; the refused one is not a read
    reads = [x for x in await audit_trail(settings.database_url, "evidence.downloaded") if x["entity_id"] == mine["id"]]
    assert [(x["actor"], x["role"], x["scope"], x["note"]) for x in reads] == [
        (f"supervisor@{reads[0]['scope']}", "supervisor", reads[0]["scope"], "验收单.pdf")]
    assert reads[0]["token_id"]

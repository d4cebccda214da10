"""Evidence in an S3-compatible store, through the real API: an object under its sha256 key, written once however
often the file is uploaded, large files in parts, and a store that is down answering a clear 503 with nothing
recorded. (The behaviour shared with the local store is in test_evidence.py, run on both.)"""
import hashlib
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bihuan_execution.evidence.testing import MotoServer, StoreView
from bihuan_execution.main import create_app
from bihuan_execution.settings import ExecutionSettings
from bihuan_execution.store.models import Evidence
from bihuan_execution.testing import headers
from bihuan_shared.testing.services import running_app

pytestmark = pytest.mark.parametrize("settings", ["s3"], indirect=True, scope="module")

LEAD = "U-GHJ"
MiB = 1024 * 1024
PDF = b"%PDF-1.7\n" + "整改前后对比照片".encode() * 300


async def _upload(api, settings, content: bytes, content_type: str = "application/pdf", name: str = "对比.pdf"):
    return await api.post("/api/v1/evidence", files={"file": (name, content, content_type)},
                          headers=headers(settings, "unit_reporter", LEAD))


def _variant(settings: ExecutionSettings, **changes) -> ExecutionSettings:
    """The module's settings with other store settings (limits recomputed from the new evidence limit)."""
    return ExecutionSettings(**{**settings.model_dump(), "max_upload_bytes": 1024 * MiB, **changes})


@asynccontextmanager
async def _app(settings: ExecutionSettings):
    async with running_app(create_app(settings)) as client:
        yield client


async def _evidence_rows(settings: ExecutionSettings) -> int:
    engine = create_async_engine(settings.database_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(select(func.count()).select_from(Evidence))
    finally:
        await engine.dispose()


async def test_an_upload_is_an_object_under_its_hash_and_downloads_as_sent(api, settings):
    r = await _upload(api, settings, PDF)
    assert r.status_code == 201, r.text
    evidence = r.json()
    sha = hashlib.sha256(PDF).hexdigest()
    head = StoreView(settings).s3.head_object(Bucket=settings.evidence_s3_bucket, Key=f"bihuan/evidence/{sha[:2]}/{sha}")
    assert head["ContentLength"] == len(PDF) and head["Metadata"] == {"sha256": sha}

    r = await api.get(f"/api/v1/evidence/{evidence['id']}", headers=headers(settings, "unit_reporter", LEAD))
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-type"] == "application/pdf" and r.headers["content-length"] == str(len(PDF))
    assert r.headers["content-disposition"] == "attachment; filename*=utf-8''%E5%AF%B9%E6%AF%94.pdf"

    StoreView(settings).s3.delete_object(Bucket=settings.evidence_s3_bucket, Key=f"bihuan/evidence/{sha[:2]}/{sha}")
    r = await api.get(f"/api/v1/evidence/{evidence['id']}", headers=headers(settings, "unit_reporter", LEAD))
    assert r.status_code == 404 and r.json()["error"] == "evidence_file_missing"


async def test_the_same_file_twice_is_stored_once(api, settings):
    content = b"%PDF-1.7\n" + "同一份验收单".encode() * 200
    sha = hashlib.sha256(content).hexdigest()
    store, key = StoreView(settings), f"bihuan/evidence/{sha[:2]}/{sha}"
    first = (await _upload(api, settings, content, name="第一次.pdf")).json()
    # Mark the stored object: were it written again, the mark would be gone.
    store.s3.copy_object(Bucket=settings.evidence_s3_bucket, Key=key, CopySource={"Bucket": settings.evidence_s3_bucket, "Key": key},
                         Metadata={"sha256": sha, "mark": "first"}, MetadataDirective="REPLACE")
    keys = store.keys()
    r = await _upload(api, settings, content, name="第二次.pdf")
    assert r.status_code == 201 and r.json()["id"] != first["id"] and r.json()["sha256"] == first["sha256"] == sha
    assert store.keys() == keys
    assert store.s3.head_object(Bucket=settings.evidence_s3_bucket, Key=key)["Metadata"]["mark"] == "first"


async def test_a_large_file_goes_up_in_parts_and_comes_back_whole(settings):
    large = _variant(settings, evidence_max_bytes=12 * MiB, evidence_s3_part_bytes=5 * MiB)
    content = b"%PDF-1.7\n" + bytes(range(256)) * (11 * MiB // 256)
    async with _app(large) as client:
        r = await _upload(client, large, content)
        assert r.status_code == 201, r.text
        sha = hashlib.sha256(content).hexdigest()
        head = StoreView(large).s3.head_object(Bucket=large.evidence_s3_bucket, Key=f"bihuan/evidence/{sha[:2]}/{sha}")
        assert head["ETag"].endswith('-3"'), "three parts of at most 5 MiB"
        assert not StoreView(large).leftovers()
        r = await client.get(f"/api/v1/evidence/{r.json()['id']}", headers=headers(large, "supervisor"))
        assert r.status_code == 200 and r.content == content

        r = await _upload(client, large, b"%PDF-" + b"x" * 12 * MiB)
        assert r.status_code == 413 and r.json()["error"] == "evidence_too_large"


async def test_a_store_that_is_down_answers_503_and_records_nothing(settings):
    moto = MotoServer()
    server = moto.start()
    try:
        down = _variant(settings, **server.settings(server.make_bucket("down-store")), evidence_s3_max_attempts=1)
        async with _app(down) as client:
            kept = await _upload(client, down, PDF)
            assert kept.status_code == 201, kept.text
            rows = await _evidence_rows(down)
            moto.stop()

            r = await _upload(client, down, b"%PDF-1.7\n" + "停机时上传".encode() * 50)
            assert r.status_code == 503 and r.headers["retry-after"] == "30"
            assert r.json()["error"] == "evidence_store_unavailable"
            assert r.json()["message"] == "佐证材料存储暂时不可用，请稍后重试"
            assert await _evidence_rows(down) == rows, "a file the store did not take is not recorded"
            r = await client.get(f"/api/v1/evidence/{kept.json()['id']}", headers=headers(down, "supervisor"))
            assert r.status_code == 503 and r.json()["error"] == "evidence_store_unavailable"
    finally:
        moto.stop()

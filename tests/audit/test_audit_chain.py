"""The audit log is append-only and hash-chained: concurrent writers keep one unbroken chain, and the verification
command finds a changed, deleted, re-hashed or truncated record. Real PostgreSQL."""
import asyncio
import subprocess
import sys
from datetime import date
from decimal import Decimal

import jwt
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bihuan_shared.audit import key_id, record_audit, record_hash
from bihuan_shared.audit_verify import verify_database
from bihuan_shared.auth.principal import Principal, Role
from bihuan_shared.db import make_sessionmaker
from bihuan_shared.messaging.tables import KIT_METADATA
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.settings import PUBLIC_DEV_AUDIT_KEY
from bihuan_shared.testing.routes import create_app, migrations, settings_class
from bihuan_shared.testing.services import bearer, running_app

CLERK = Principal(user="u-zhang", name="张三", roles=frozenset({Role.TARGET_OFFICE}), unit="U-MB", scope="xh",
                  token_id="jti-1")
DEV_KEY = PUBLIC_DEV_AUDIT_KEY


async def fresh_chain(make_database, name: str, writers: int = 30):
    url = await make_database(name)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(KIT_METADATA.create_all)
    sessions = make_sessionmaker(engine)

    async def write(i: int) -> None:
        async with sessions() as session, session.begin():
            await record_audit(session, CLERK, "target.edited", "target", f"T-{i % 5}",
                               before={"title": f"旧标题{i}", "due": date(2026, 6, 30), "weight": Decimal("1.5")},
                               after={"title": f"新标题{i}", "weight": 2.0, "units": ["U-MB", "U-HM"]})
            await asyncio.sleep(0.001 * (i % 3))  # keep the lock across an await, as real handlers do

    await asyncio.gather(*(write(i) for i in range(writers)))
    return url, engine


@pytest_asyncio.fixture
async def chain(make_database, request):
    url, engine = await fresh_chain(make_database, f"audit_{abs(hash(request.node.name)) % 10**8}")
    yield url, engine
    await engine.dispose()


async def test_concurrent_writers_keep_one_unbroken_chain(chain):
    url, engine = chain
    async with engine.begin() as conn:  # a rolled-back write leaves neither a record nor a gap in the chain
        sessions = make_sessionmaker(engine)
        async with sessions() as session:
            async with session.begin():
                await record_audit(session, CLERK, "target.deleted", "target", "T-X")
                await session.rollback()
        rows = (await conn.execute(text("SELECT id, prev_hash, hash, actor, role, unit FROM audit_log ORDER BY id")))
        rows = rows.all()
    assert len(rows) == 30
    assert len({r.prev_hash for r in rows}) == 30  # no fork: no two records share a predecessor
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:]))
    assert (rows[0].actor, rows[0].role, rows[0].unit) == ("u-zhang", "target_office", "U-MB")
    async with engine.connect() as conn:
        first = (await conn.execute(text("SELECT scope, token_id, key_id FROM audit_log WHERE id = 1"))).one()
    assert tuple(first) == ("xh", "jti-1", key_id(DEV_KEY))
    report = await verify_database(url)
    assert report.intact and report.records == 30, report.problems


async def test_a_changed_record_is_detected(chain):
    url, engine = chain
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE audit_log SET after = '{\"title\": \"篡改\"}' WHERE id = 7"))
    report = await verify_database(url)
    assert not report.intact
    assert any("审计记录 7" in p and "hash mismatch" in p for p in report.problems), report.problems


async def test_a_changed_and_rehashed_record_breaks_the_link_to_the_next(chain):
    url, engine = chain
    async with engine.begin() as conn:
        row = (await conn.execute(text("SELECT * FROM audit_log WHERE id = 7"))).mappings().one()
        forged = dict(row, actor="someone-else")
        await conn.execute(text("UPDATE audit_log SET actor = 'someone-else', hash = :h WHERE id = 7"),
                           {"h": record_hash(row["prev_hash"], forged, DEV_KEY)})
    report = await verify_database(url)
    assert any("审计记录 8" in p and "prev_hash mismatch" in p for p in report.problems), report.problems


async def rewrite_forward(engine, first: int, key: str | None, *, key_id_: str | None | bool = False) -> None:
    """What someone with write access to the database does: change record `first` and recompute every hash after
    it, so every link matches again."""
    async with engine.begin() as conn:
        rows = (await conn.execute(text("SELECT * FROM audit_log ORDER BY id"))).mappings().all()
        prev = rows[first - 2]["hash"] if first > 1 else "0" * 64
        for row in rows[first - 1:]:
            record = dict(row, actor="someone-else" if row["id"] == first else row["actor"])
            if key_id_ is not False:
                record["key_id"] = key_id_
            digest = record_hash(prev, record, key)
            await conn.execute(text("UPDATE audit_log SET actor = :actor, key_id = :kid, prev_hash = :prev, hash = :h"
                                    " WHERE id = :id"),
                               {"actor": record["actor"], "kid": record["key_id"], "prev": prev, "h": digest,
                                "id": row["id"]})
            prev = digest


async def test_a_chain_recomputed_without_the_key_no_longer_verifies(chain):
    url, engine = chain
    await rewrite_forward(engine, 7, "a-guessed-key-that-is-not-the-services-key")
    report = await verify_database(url)
    assert not report.intact
    assert all("hash mismatch" in p for p in report.problems) and len(report.problems) == 24, report.problems


async def test_a_chain_downgraded_to_unkeyed_hashes_no_longer_verifies(chain):
    url, engine = chain
    await rewrite_forward(engine, 7, None, key_id_=None)  # plain sha256, as the chain was before it was keyed
    report = await verify_database(url)
    assert any("审计记录 7" in p and "unkeyed record" in p for p in report.problems), report.problems
    # ... unless the operator vouches that records up to that id were sealed before the key existed
    assert (await verify_database(url, legacy_until=30)).intact


async def test_a_record_sealed_by_another_key_is_reported_not_skipped(chain):
    url, engine = chain
    other = "another-deployment-key-of-at-least-32-bytes"
    await rewrite_forward(engine, 29, other, key_id_=key_id(other))
    report = await verify_database(url)
    assert any("审计记录 29" in p and "unknown key" in p for p in report.problems), report.problems
    assert (await verify_database(url, keys=[DEV_KEY, other])).intact  # a retired key, given back, verifies it


async def test_a_deleted_record_is_detected(chain):
    url, engine = chain
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM audit_log WHERE id = 12"))
    report = await verify_database(url)
    assert [p for p in report.problems if "审计记录 13" in p and "prev_hash mismatch" in p], report.problems


async def test_deleted_newest_records_are_detected_against_a_kept_head(chain):
    url, engine = chain
    head = (await verify_database(url)).head
    assert (await verify_database(url, expect_head=head)).intact
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM audit_log WHERE id >= 28"))
    assert (await verify_database(url)).intact  # on its own the shortened chain still looks whole ...
    report = await verify_database(url, expect_head=head)
    assert any("expected head missing" in p for p in report.problems)  # ... the kept head tells


async def test_the_command_line_says_intact_or_broken(chain):
    url, engine = chain
    cmd = [sys.executable, "-m", "bihuan_shared.audit_verify", "planning", "--database-url", url]
    ok = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "intact; 30 records" in ok.stdout, ok.stdout + ok.stderr
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM audit_log WHERE id = 3"))
    broken = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert broken.returncode == 1 and "BROKEN" in broken.stdout and "审计记录 4" in broken.stdout


async def test_a_real_service_write_is_chained_with_who_and_what(make_database, amqp_url, infra, redis_prefix):
    url = await make_database("audit_planning")
    await upgrade_async(migrations("planning"), url)
    settings = settings_class("planning")(database_url=url, amqp_url=amqp_url, redis_url=infra.redis_url,
                                          redis_prefix=redis_prefix)
    async with running_app(create_app("planning", settings)) as client:
        for code in ("xh", "mh"):
            r = await client.put(f"/api/v1/scopes/{code}", json={"name": "徐汇区", "kind": "district"},
                                 headers=bearer(settings, "target_office", None, code))
            assert r.status_code in (200, 201), r.text
        headers = bearer(settings, "target_office", None, "xh")
        r = await client.put("/api/v1/scopes/xh", json={"name": "徐汇区（新）", "kind": "district"}, headers=headers)
        assert r.status_code in (200, 201), r.text
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        last = (await conn.execute(text("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1"))).mappings().one()
    await engine.dispose()
    assert last["actor"] == "target_office@xh" and last["role"] == "target_office" and last["entity_id"] == "xh"
    assert last["before"]["name"] == "徐汇区" and last["after"]["name"] == "徐汇区（新）"
    jti = jwt.decode(headers["Authorization"].removeprefix("Bearer "), options={"verify_signature": False})["jti"]
    assert (last["scope"], last["token_id"]) == ("xh", jti)  # which district, and which token carried the write
    report = await verify_database(url)
    assert report.intact and report.records == 3, report.problems


"""Verify a service's audit chain: `python -m bihuan_shared.audit_verify planning [execution ...]`.

Walks audit_log in id order and recomputes every HMAC with the service's audit key (its settings, i.e.
BIHUAN_<SERVICE>_AUDIT_KEY; --key-env names other variables holding retired keys). Reports a changed record (its hash
no longer matches its content: also when someone recomputed the chain without the key), a deleted or reordered one
(the next record's prev_hash points at a hash that is not its predecessor's), an unchained one, one sealed by a key
it was not given, and an unkeyed (legacy) record above --legacy-until. Deleting the newest records leaves no successor
to notice, so the command prints the head (`id:hash`); keep it somewhere else (a ticket, a signed report) and pass it
back with --expect-head to prove the tail is still there. Exit status: 0 intact, 1 broken, 2 could not check.
"""
import argparse
import asyncio
import os
import sys
from dataclasses import dataclass, field
from importlib import import_module

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bihuan_shared.audit import GENESIS, key_id, record_hash
from bihuan_shared.messaging.tables import audit_log

MAX_PROBLEMS = 50


@dataclass
class ChainReport:
    records: int = 0
    head_id: int | None = None
    head_hash: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def head(self) -> str:
        return f"{self.head_id}:{self.head_hash}" if self.head_id is not None else "empty"


async def verify_chain(conn: AsyncConnection, expect_head: str | None = None, *, keys: list[str] = (),
                       legacy_until: int = 0) -> ChainReport:
    """keys: every key that may have sealed a record (the current one first); legacy_until: the newest id that may
    be an unkeyed record from before the audit key existed (0: none may)."""
    report = ChainReport()
    by_id = {key_id(k): k for k in keys}
    expected_prev, prev_id = GENESIS, None
    anchor_id, _, anchor_hash = (expect_head or "").partition(":")
    anchor_seen = False
    rows = await conn.stream(select(audit_log).order_by(audit_log.c.id))
    async for row in rows.mappings():
        report.records += 1
        where = f"审计记录 {row['id']} ({row['action']} {row['entity_type']} {row['entity_id']})"
        if row["hash"] is None or row["prev_hash"] is None:
            report.problems.append(f"{where}: 未入链 (no hash)")
        elif row["prev_hash"] != expected_prev:
            after = f"记录 {prev_id}" if prev_id is not None else "链首"
            report.problems.append(f"{where}: 前一哈希与{after}不符，其间的记录被删除或修改 (prev_hash mismatch)")
        if row["hash"] is not None:
            problem = _seal_problem(row, by_id, legacy_until)
            if problem:
                report.problems.append(f"{where}: {problem}")
        if anchor_id and str(row["id"]) == anchor_id:
            anchor_seen = row["hash"] == anchor_hash
        expected_prev, prev_id = row["hash"], row["id"]
        report.head_id, report.head_hash = row["id"], row["hash"]
        if len(report.problems) >= MAX_PROBLEMS:
            break
    if anchor_id and not anchor_seen:
        report.problems.append(f"已知链头 {expect_head} 不在链中：其后的记录被删除或链被重写 (expected head missing)")
    return report


def _seal_problem(row, keys: dict[str, str], legacy_until: int) -> str | None:
    if row["key_id"] is None:
        if row["id"] > legacy_until:
            return "未用审计密钥签名，任何人都可伪造 (unkeyed record)"
        key = None
    elif row["key_id"] not in keys:
        return f"由未提供的密钥 {row['key_id']} 签名，无法校验 (unknown key)"
    else:
        key = keys[row["key_id"]]
    if record_hash(row["prev_hash"] or "", dict(row), key) != row["hash"]:
        return "内容被修改或在没有密钥的情况下重算，哈希不符 (hash mismatch)"
    return None


def service_settings(service: str):
    """The service's settings (BIHUAN_<SERVICE>_DATABASE_URL, _AUDIT_KEY ...)."""
    from bihuan_shared.settings import ServiceSettings

    module = import_module(f"bihuan_{service}.settings")
    cls = next(v for v in vars(module).values()
               if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings)
    return cls()


async def verify_database(url: str, expect_head: str | None = None, *, keys: list[str] | None = None,
                          legacy_until: int = 0) -> ChainReport:
    """keys default to the public development key: what tests and `make up` seal with."""
    if keys is None:
        from bihuan_shared.settings import PUBLIC_DEV_AUDIT_KEY
        keys = [PUBLIC_DEV_AUDIT_KEY]
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await verify_chain(conn, expect_head, keys=keys, legacy_until=legacy_until)
    finally:
        await engine.dispose()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify the hash chain of a service's audit log.")
    parser.add_argument("services", nargs="+", help="planning, execution, supervision, assessment")
    parser.add_argument("--database-url", help="check this database instead of the service's configured one")
    parser.add_argument("--expect-head", help="id:hash printed by an earlier run; proves no newer record vanished")
    parser.add_argument("--key-env", action="append", default=[],
                        help="an environment variable holding a retired audit key (repeatable)")
    parser.add_argument("--legacy-until", type=int, default=0,
                        help="the newest id sealed before the audit key existed (unkeyed records up to it pass)")
    args = parser.parse_args(argv)
    status = 0
    for service in args.services:
        try:
            settings = service_settings(service)
            keys = [settings.audit_key, *(os.environ[name] for name in args.key_env)]
            report = await verify_database(args.database_url or settings.database_url, args.expect_head, keys=keys,
                                           legacy_until=args.legacy_until)
        except Exception as exc:
            print(f"{service}: 无法校验 (could not check): {exc}")
            status = max(status, 2)
            continue
        verdict = "完好 intact" if report.intact else "已被篡改 BROKEN"
        print(f"{service}: {verdict}; {report.records} records; head {report.head}")
        for problem in report.problems:
            print(f"  - {problem}")
        status = max(status, 0 if report.intact else 1)
    return status


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

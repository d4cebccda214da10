"""Benchmark: import a city-sized target book — 16 districts × 200 targets × 12 monthly milestones — through the
HTTP import endpoint (parse + check every cell + directory references + bulk insert), and compare with a raw
asyncpg COPY of the very same rows into tables of the same shape, measured in the same run.

    .venv/bin/python -m bihuan_planning.bench [--districts 16] [--targets 200]
"""
import argparse
import asyncio
import io
import json
import time
import uuid

import asyncpg
import orjson
from openpyxl import Workbook

from bihuan_planning import samples
from bihuan_planning.excel import book_layout as L
from bihuan_planning.excel.book_reader import Directory, read_book
from bihuan_planning.main import MIGRATIONS, create_app
from bihuan_planning.settings import PlanningSettings
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.bench import BenchEnv, bench_environment, median, report
from bihuan_shared.testing.services import bearer, running_app

YEAR = 2026
UNIT_NAMES = [u[1] for u in samples.UNITS]


def district_book(district: int, targets: int) -> bytes:
    """targets rows: every 5th a key task, the next four its sub-items; each with 12 monthly cumulative values."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("目标书")
    ws.append((f"第{district}区{YEAR}年度目标书",))
    ws.append(L.columns("month"))
    for i in range(targets):
        task, sub = divmod(i, 5)
        code = f"{task + 1}" if sub == 0 else f"{task + 1}.{sub}"
        goal = 12 * (i % 7 + 1)
        lead, other = UNIT_NAMES[i % len(UNIT_NAMES)], UNIT_NAMES[(i + 3) % len(UNIT_NAMES)]
        ws.append((code, f"方面{task % 8 + 1}", f"第{district}区目标{code}：完成重点项目{goal}个", "具体事项说明",
                   "工作措施说明", *[goal // 12 * m for m in range(1, 13)], lead, other, UNIT_NAMES[(i + 5) % 18],
                   samples.LEADERS[i % 4][1], "重点工作", "区级", goal, "个", 1, 0, "递增", "是", ""))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def run(env: BenchEnv, districts: int = 16, targets: int = 200) -> dict:
    print(f"planning import: {districts} districts × {targets} targets × 12 milestones", flush=True)
    url = await env.database("planning")
    await upgrade_async(MIGRATIONS, url)
    settings = PlanningSettings(database_url=url, amqp_url=env.amqp_url, redis_url=env.infra.redis_url,
                                redis_prefix=env.redis_prefix, log_level="WARNING")
    scopes = [f"d{n:02d}" for n in range(1, districts + 1)]
    books = {s: district_book(n, targets) for n, s in enumerate(scopes, 1)}
    imports, parses, copies, publishes = [], [], [], []
    async with running_app(create_app(settings)) as http:
        for scope in scopes:
            office = bearer(settings, "target_office", scope=scope)
            await http.put(f"/api/v1/scopes/{scope}", json={"name": scope}, headers=office)
            r = await http.post(f"/api/v1/directory/{scope}/import",
                                files={"file": ("d.xlsx", samples.directory_workbook())}, headers=office)
            assert r.status_code == 200, r.text
        for scope in scopes:
            office = bearer(settings, "target_office", scope=scope)
            started = time.perf_counter()
            r = await http.post(f"/api/v1/books/{scope}/{YEAR}/import", files={"file": ("b.xlsx", books[scope])},
                                headers=office)
            imports.append(time.perf_counter() - started)
            assert r.status_code == 200 and r.json()["milestones"] == targets * 12, r.text[:500]
        for scope in scopes:
            office = bearer(settings, "target_office", scope=scope)
            started = time.perf_counter()
            for action in ("submit", "approve", "publish"):
                r = await http.post(f"/api/v1/books/{scope}/{YEAR}/{action}", json={}, headers=office)
                assert r.status_code == 200, r.text
            publishes.append(time.perf_counter() - started)
    directory = Directory.of({u[0]: u[1] for u in samples.UNITS}, {x[0]: x[1] for x in samples.LEADERS})
    parsed = {}
    for scope in scopes:
        started = time.perf_counter()
        parsed[scope] = read_book(books[scope], YEAR, directory)
        parses.append(time.perf_counter() - started)
    copies = await _copy_baseline(url, parsed)
    figures = {
        "districts": districts, "targets": districts * targets, "milestones": districts * targets * 12,
        "import_seconds_total": sum(imports), "import_seconds_median_per_district": median(imports),
        "parse_and_check_seconds_median_per_district": median(parses),
        "copy_baseline_seconds_median_per_district": median(copies),
        "import_vs_copy_ratio": median(imports) / median(copies),
        "submit_approve_publish_seconds_median_per_district": median(publishes),
    }
    for name, value in figures.items():
        report(name, value, "s" if "seconds" in name else "")
    return figures


async def _copy_baseline(url: str, parsed: dict) -> list[float]:
    """The floor: the same target and milestone rows (already parsed) COPYed into tables shaped like the real ones."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute("CREATE TABLE bench_targets (LIKE targets INCLUDING ALL);"
                           "CREATE TABLE bench_milestones (LIKE milestones INCLUDING ALL)")
        times = []
        for scope, book in parsed.items():
            t_rows, m_rows = _rows(scope, book.targets)
            started = time.perf_counter()
            async with conn.transaction():
                await conn.copy_records_to_table("bench_targets", records=t_rows, columns=T_COLUMNS)
                await conn.copy_records_to_table("bench_milestones", records=m_rows, columns=M_COLUMNS)
            times.append(time.perf_counter() - started)
        return times
    finally:
        await conn.close()


T_COLUMNS = ["id", "scope", "year", "book_id", "code", "title", "content", "work_measures", "area", "category",
             "source", "lead_unit", "responsible_units", "cooperating_units", "leader", "weight", "indicator", "status",
             "version", "event_seq", "created_by"]
M_COLUMNS = ["id", "target_id", "seq", "due_date", "expected_value", "deliverable"]


def _rows(scope: str, targets: list[dict]) -> tuple[list, list]:
    from datetime import date
    t_rows, m_rows = [], []
    for t in targets:
        tid = uuid.uuid4().hex
        t_rows.append((tid, scope, YEAR, f"{scope}-{YEAR}", t["code"], t["title"], t["content"], t["work_measures"],
                       t["area"], t["category"], t["source"], t["lead_unit"], t["responsible_units"],
                       t["cooperating_units"], t["leader"], t["weight"], json.dumps(t["indicator"]), "draft", 1, 0,
                       "bench"))
        m_rows += [(uuid.uuid4().hex, tid, i + 1, date.fromisoformat(m["due_date"]), m["expected_value"],
                    m["deliverable"]) for i, m in enumerate(t["milestones"])]
    return t_rows, m_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=16)
    parser.add_argument("--targets", type=int, default=200)
    args = parser.parse_args()

    async def go() -> None:
        async with bench_environment() as env:
            print(orjson.dumps(await run(env, args.districts, args.targets), option=orjson.OPT_INDENT_2).decode())

    asyncio.run(go())


if __name__ == "__main__":
    main()

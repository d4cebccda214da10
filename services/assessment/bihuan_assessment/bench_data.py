"""A full city for the assessment benchmark, written straight into assessment's tables with COPY: 16 districts ×
60 units (30 departments, 30 streets), 20,000 targets with 240,000 monthly milestones, a year of monthly objective
metrics from three sources, evaluations, and an open scheme per district (two groups)."""
import random
from datetime import date

import asyncpg
import orjson

DISTRICTS, UNITS, TARGETS, MILESTONES_PER_TARGET = 16, 60, 20_000, 12
SOURCES = {"hotline": ["on_time_close_rate", "satisfaction_rate"], "service_window": ["satisfaction_rate"],
           "three_centers": ["satisfaction_rate", "on_time_close_rate"]}

STREETS = {"key": "streets", "name": "街镇组", "unit_groups": ["街镇"], "bottom_count": 2,
           "lag": {"missed_penalty": 0.2, "penalty_cap": 5},
           "accountability": [{"kind": "red_targets", "above": 5}, {"kind": "bottom"}],
           "components": [
               {"key": "leader", "name": "领导评价", "kind": "evaluation", "weight": 35, "evaluation_kind": "leader"},
               {"key": "dept", "name": "职能部门评价", "kind": "evaluation", "weight": 25, "evaluation_kind": "department"},
               {"key": "third", "name": "第三方评估", "kind": "evaluation", "weight": 20, "evaluation_kind": "third_party"},
               {"key": "centers", "name": "三个中心客观数据", "kind": "indicators", "weight": 20, "indicators": [
                   {"key": "sat", "name": "满意率", "metric": "satisfaction_rate", "source": "three_centers",
                    "period_kind": "month", "scoring": "rate"},
                   {"key": "close", "name": "按时办结率", "metric": "on_time_close_rate", "source": "hotline",
                    "period_kind": "month", "scoring": "relative"}]}]}
DEPARTMENTS = {"key": "departments", "name": "部门组", "unit_groups": ["部门"], "lag": {"missed_penalty": 0.2},
               "components": [
                   {"key": "completion", "name": "目标完成", "kind": "target_completion", "weight": 40},
                   {"key": "leader", "name": "领导评价", "kind": "evaluation", "weight": 30, "evaluation_kind": "leader"},
                   {"key": "dept", "name": "职能部门评价", "kind": "evaluation", "weight": 30,
                    "evaluation_kind": "department"}]}
RULES = {"groups": [STREETS, DEPARTMENTS]}


def _units():
    for d in range(DISTRICTS):
        for u in range(UNITS):
            yield f"D{d:02d}", f"D{d:02d}U{u:02d}", "部门" if u < UNITS // 2 else "街镇"


async def seed(dsn: str, year: int = 2026, seed: int = 6) -> list[int]:
    rnd = random.Random(seed)
    conn = await asyncpg.connect(dsn)
    try:
        units = list(_units())
        await conn.copy_records_to_table("unit_facts", records=[
            (scope, code, f"单位{code}", "territorial", None, group, True, 1) for scope, code, group in units],
            columns=["scope", "unit_code", "name", "kind", "parent", "assessment_group", "active", "event_seq"])
        targets, milestones = [], []
        for i in range(TARGETS):
            scope, lead, _ = units[i % len(units)]
            partner = units[(i * 7 + 31) % len(units)]
            responsible = [partner[1]] if partner[0] == scope and rnd.random() < 0.3 else []
            tid = f"T{i:06d}"
            targets.append((tid, scope, year, "key_work", lead, responsible, rnd.choice([1.0, 1.0, 2.0]), 1, 1, False,
                            tid, f"目标{i}", False, None))
            for m in range(MILESTONES_PER_TARGET):
                due = date(year, m + 1, 28)
                roll = rnd.random()
                status = ("early" if roll < 0.1 else "on_time" if roll < 0.8 else "late" if roll < 0.9 else None)
                milestones.append((f"{tid}M{m:02d}", tid, due, due if status else None, status, status is None, 1,
                                   None, "objective" if status is None and rnd.random() < 0.3 else None))
        await conn.copy_records_to_table("target_facts", records=targets, columns=[
            "id", "scope", "year", "category", "lead_unit", "responsible_units", "weight", "version", "event_seq",
            "cancelled", "code", "title", "adjusted", "event_id"])
        await conn.copy_records_to_table("milestone_facts", records=milestones, columns=[
            "id", "target_id", "due_date", "completed_on", "timeliness", "overdue", "exec_seq", "exec_event_id",
            "lag_kind"])
        metrics = [(scope, code, f"{year}-{m:02d}", source, "month", 1,
                    orjson.dumps({k: round(rnd.uniform(0.6, 1.0), 4) for k in keys}).decode(), "bench")
                   for scope, code, _ in units for m in range(1, 13) for source, keys in SOURCES.items()]
        await conn.copy_records_to_table("metric_facts", records=metrics, columns=[
            "scope", "unit", "period", "source", "period_kind", "revision", "metrics", "origin"])
        evaluations = [(scope, year, code, kind, f"{kind}-1", "", round(rnd.uniform(60, 100), 1), "", "bench")
                       for scope, code, _ in units for kind in ("leader", "department", "third_party")]
        await conn.copy_records_to_table("evaluations", records=evaluations, columns=[
            "scope", "year", "unit", "kind", "evaluator", "subject", "score", "comment", "origin"])
        ids = []
        for d in range(DISTRICTS):
            scheme = await conn.fetchval(
                "insert into schemes (scope, year, version, name, status, rules, opened_at, created_by) values"
                " ($1, $2, 1, '考核办法', 'open', $3::jsonb, now(), 'bench') returning id",
                f"D{d:02d}", year, orjson.dumps(RULES).decode())
            ids.append(await conn.fetchval(
                "insert into assessments (scope, year, scheme_id, as_of, status, last_run) values"
                " ($1, $2, $3, $4, 'open', 0) returning id", f"D{d:02d}", year, scheme, date(year, 12, 31)))
        await conn.execute("analyze")
        return ids
    finally:
        await conn.close()

"""A job reads its group's inputs in one REPEATABLE READ snapshot: facts committed meanwhile (a milestone completed,
a target added) are not half-seen; the next run sees all of them."""
from datetime import date

from sqlalchemy import text

from bihuan_assessment.domain.rules import SchemeRules
from bihuan_assessment.store.snapshot import _load, snapshot

RULES = SchemeRules.model_validate({"groups": [{
    "key": "g", "name": "组", "unit_groups": ["快照组"],
    "components": [{"key": "c", "name": "目标完成", "kind": "target_completion", "weight": 100}]}]})


async def _write(db, sql: str) -> None:
    async with db.begin() as conn:
        await conn.execute(text(sql))


async def test_inputs_come_from_one_snapshot(db):
    await _write(db, "insert into unit_facts values ('snap', 'SN1', '快照单位', 'territorial', null, '快照组', true, 1)")
    await _write(db, "insert into target_facts (id, scope, year, category, lead_unit, responsible_units, weight,"
                     " version, event_seq, cancelled, adjusted) values"
                     " ('SNT1', 'snap', 2026, 'key_work', 'SN1', '{}', 1, 1, 1, false, false)")
    await _write(db, "insert into milestone_facts (id, target_id, due_date, overdue, exec_seq) values"
                     " ('SNT1-m1', 'SNT1', '2026-03-31', false, 0)")
    group = RULES.groups[0]
    async with snapshot(db) as conn:
        first = await _load(conn, "snap", 2026, date(2026, 12, 31), RULES, group)
        # Meanwhile the fact consumers commit: the milestone is completed and another target arrives.
        await _write(db, "update milestone_facts set completed_on = '2026-03-30', timeliness = 'early'"
                         " where id = 'SNT1-m1'")
        await _write(db, "insert into target_facts (id, scope, year, category, lead_unit, responsible_units, weight,"
                         " version, event_seq, cancelled, adjusted) values"
                         " ('SNT2', 'snap', 2026, 'key_work', 'SN1', '{}', 1, 1, 1, false, false)")
        second = await _load(conn, "snap", 2026, date(2026, 12, 31), RULES, group)
    assert [t.id for t in second.targets] == [t.id for t in first.targets] == ["SNT1"]
    assert second.targets[0].milestones[0].completed_on is None
    async with snapshot(db) as conn:
        after = await _load(conn, "snap", 2026, date(2026, 12, 31), RULES, group)
    assert [t.id for t in after.targets] == ["SNT1", "SNT2"]
    assert after.targets[0].milestones[0].timeliness == "early"

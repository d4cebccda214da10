"""Writing an imported target book in bulk: a city-sized book is thousands of targets and tens of thousands of
milestones, so rows go in with one multi-row statement per table rather than one ORM object at a time."""
from datetime import date

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_planning.domain.lifecycle import TargetStatus
from bihuan_planning.store.models import Milestone, Target, TargetHistory, new_id
from bihuan_planning.store.targets_repo import book_id, ensure_book

CHUNK = 2000  # rows per statement: well under asyncpg's 32767 bind parameters


async def insert_book(session: AsyncSession, scope: str, year: int, period: str, targets: list[dict],
                      actor: str) -> dict[str, str]:
    """Insert parsed targets (drafts) into the scope's book; returns {code: target id}."""
    await ensure_book(session, scope, year, actor, period)
    ids = {t["code"]: new_id() for t in targets}
    target_rows, milestone_rows, history_rows = [], [], []
    for t in targets:
        tid = ids[t["code"]]
        target_rows.append(dict(
            id=tid, scope=scope, year=year, book_id=book_id(scope, year), code=t["code"], title=t["title"],
            content=t["content"], work_measures=t["work_measures"], area=t["area"],
            parent_id=ids.get(t["parent_code"]), category=t["category"], source=t["source"],
            lead_unit=t["lead_unit"], responsible_units=t["responsible_units"],
            cooperating_units=t["cooperating_units"], leader=t["leader"], weight=t["weight"],
            indicator=t["indicator"], proposal={"reference": t["proposal_reference"]} if t["proposal_reference"] else None,
            status=TargetStatus.DRAFT, version=1, event_seq=0, created_by=actor))
        milestone_rows += [dict(id=new_id(), target_id=tid, seq=i + 1, due_date=date.fromisoformat(m["due_date"]),
                                expected_value=m["expected_value"], deliverable=m["deliverable"])
                           for i, m in enumerate(t["milestones"])]
        history_rows.append(dict(target_id=tid, version=1, action="imported", actor=actor,
                                 reason=f"{t['sheet']} 第 {t['row']} 行", changes=[]))
    for table, rows in ((Target, target_rows), (Milestone, milestone_rows), (TargetHistory, history_rows)):
        for i in range(0, len(rows), CHUNK):
            await session.execute(insert(table.__table__), rows[i:i + CHUNK])
    return ids

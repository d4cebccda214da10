"""The overdue clock fires `milestone overdue` exactly once per milestone and due date: with two worker copies
racing, after a restart, and again only when an adjustment moves a due date that then passes too."""
import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import text

from bihuan_execution import testing
from bihuan_execution.testing import DAY0, SCOPE, listening
from bihuan_execution.main import create_app
from bihuan_execution.worker import runtime
from bihuan_shared.db import make_engine
from bihuan_shared.testing.services import bearer, eventually, running_app, running_worker
from bihuan_shared.testing.services import publish_envelopes

OVERDUE = "execution.milestone.overdue"


async def _milestones(settings) -> dict[str, tuple[str, object]]:
    engine = make_engine(settings.database_url, 1)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, status, overdue_for FROM milestones"))).all()
        return {r.id: (r.status, r.overdue_for) for r in rows}
    finally:
        await engine.dispose()


async def _outbox_overdue(settings) -> Counter:
    engine = make_engine(settings.database_url, 1)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT aggregate_id FROM outbox WHERE event_type = :t"),
                                       {"t": OVERDUE})).all()
        return Counter(r.aggregate_id for r in rows)
    finally:
        await engine.dispose()


async def test_overdue_fires_exactly_once_with_two_workers_and_a_restart(settings):
    # 3 targets x 20 milestones, one due every day from tomorrow on.
    snaps = [testing.snapshot(f"XH-{i}", "U-FGW", [DAY0 + timedelta(days=d) for d in range(1, 21)]) for i in range(3)]
    all_ids = {m["milestone_id"] for s in snaps for m in s["milestones"]}
    async with listening(settings.amqp_url, OVERDUE) as seen:
        async with running_worker(runtime(settings)), running_worker(runtime(settings)):
            await publish_envelopes(settings.amqp_url, [testing.published(s, SCOPE) for s in snaps])

            async def all_known():
                ms = await _milestones(settings)
                assert set(ms) == all_ids and {st for st, _ in ms.values()} <= {"pending", "due_soon"}
            await eventually(all_known)

            # The lead unit completes milestone 5 of target 0 early: it must never be reported overdue.
            done = snaps[0]["milestones"][4]
            async with running_app(create_app(settings)) as api:
                r = await api.post(f"/api/v1/targets/{snaps[0]['target_id']}/milestones/{done['milestone_id']}/progress",
                                   json={"actual_value": 5}, headers=bearer(settings, "unit_reporter", "U-FGW", SCOPE))
                assert r.status_code == 201 and r.json()["milestone_status"] == "done_early", r.text

            settings.today = DAY0 + timedelta(days=11)  # days 1..10 have passed
            first_wave = {m["milestone_id"] for s in snaps for m in s["milestones"][:10]} - {done["milestone_id"]}

            async def first_wave_fired():
                assert {e.aggregate_id for e in seen} == first_wave
            await eventually(first_wave_fired)
            await asyncio.sleep(1.0)  # ~10 more ticks of each clock: nothing more may fire

        # Restart: a fresh worker copy on the same database finds nothing left to fire for those dates...
        async with running_worker(runtime(settings)):
            await asyncio.sleep(0.8)
            assert {e.aggregate_id for e in seen} == first_wave
            # ...and fires the next days exactly once when time moves on.
            settings.today = DAY0 + timedelta(days=16)
            second_wave = first_wave | {m["milestone_id"] for s in snaps for m in s["milestones"][10:15]}

            async def second_wave_fired():
                assert {e.aggregate_id for e in seen} == second_wave
            await eventually(second_wave_fired)
            await asyncio.sleep(0.8)

    assert len(seen) == len(second_wave) == 44, "each milestone fired once on the bus"
    assert set((await _outbox_overdue(settings)).values()) == {1} and len(await _outbox_overdue(settings)) == 44
    statuses = await _milestones(settings)
    assert statuses[done["milestone_id"]][0] == "done_early"
    assert Counter(st for st, _ in statuses.values()) == {"overdue": 44, "done_early": 1, "due_soon": 15}
    payload = next(e.payload for e in seen if e.aggregate_id == snaps[1]["milestones"][0]["milestone_id"])
    assert payload["unit"] == "U-FGW" and payload["due_date"] == (DAY0 + timedelta(days=1)).isoformat()


async def test_an_adjustment_moving_a_due_date_rejudges_and_fires_again_only_for_the_new_date(settings):
    settings.today = DAY0
    snap = testing.snapshot("XH-ADJ", "U-JW", [DAY0 + timedelta(days=2), DAY0 + timedelta(days=40)])
    first, second = (m["milestone_id"] for m in snap["milestones"])
    async with listening(settings.amqp_url, OVERDUE) as seen, running_worker(runtime(settings)):
        await publish_envelopes(settings.amqp_url, [testing.published(snap, SCOPE, 1)])
        await eventually(lambda: _has(settings, first, "due_soon"))
        settings.today = DAY0 + timedelta(days=5)
        await eventually(lambda: _has(settings, first, "overdue"))

        # An approved adjustment moves milestone 1 to day 30 (through the real bus): no longer overdue.
        moved = dict(snap, milestones=[dict(snap["milestones"][0], due_date=(DAY0 + timedelta(days=30)).isoformat()),
                                       snap["milestones"][1]])
        await publish_envelopes(settings.amqp_url, [testing.adjusted(moved, SCOPE, 2, "审批延期")])
        await eventually(lambda: _has(settings, first, "pending"))
        # A stale copy of version 1 arriving late changes nothing.
        await publish_envelopes(settings.amqp_url, [testing.published(snap, SCOPE, 1)])
        await asyncio.sleep(0.5)
        assert (await _milestones(settings))[first][0] == "pending"

        settings.today = DAY0 + timedelta(days=31)  # the new date passes too: fires once more, for the new date
        await eventually(lambda: _has(settings, first, "overdue"))
        await asyncio.sleep(0.6)

    fired = [e for e in seen if e.aggregate_id == first]
    assert [e.payload["due_date"] for e in fired] == [(DAY0 + timedelta(days=2)).isoformat(),
                                                      (DAY0 + timedelta(days=30)).isoformat()]
    assert fired[1].sequence > fired[0].sequence
    assert not [e for e in seen if e.aggregate_id == second]


async def _has(settings, milestone_id: str, status: str) -> None:
    known = await _milestones(settings)
    assert milestone_id in known and known[milestone_id][0] == status, known.get(milestone_id)

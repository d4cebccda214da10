"""A spike of hotline orders in a category linked to a target warns that target's leader and lead unit; counted per
local (Beijing) day from the stored orders, and cleared when the day is quiet again."""
from datetime import date, datetime, timedelta

import pytest
import pytest_asyncio

from bihuan_shared.contracts.planning import Indicator, MilestoneSnapshot, TargetPublished
from bihuan_shared.contracts.supervision import WarningCleared, WarningRaised
from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.events import new_event
from bihuan_shared.testing.services import bearer, eventually, publish_envelopes
from bihuan_supervision.domain.feeds.common import CST
from bihuan_supervision.sample_orders import order
from bihuan_supervision.store.models import TargetView
from bihuan_supervision.store.warnings import reassess_topic_spikes

pytestmark = pytest.mark.asyncio(loop_scope="session")
DAY = date(2026, 3, 10)
RIVER = "河道违建"
ROAD = "道路破损"


@pytest_asyncio.fixture(scope="module")
async def sessionmaker(settings):
    engine = make_engine(settings.database_url, pool_size=1)
    yield make_sessionmaker(engine)
    await engine.dispose()


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST).isoformat()


async def feed(client, settings, prefix: str, category: str, received: list[str]) -> None:
    orders = [order(f"{prefix}-{i}", category=category, received_at=r) for i, r in enumerate(received)]
    r = await client.post("/api/v1/feeds/hotline/records", json=orders, headers=bearer(settings, "feed"))
    assert r.status_code in (200, 201), r.text
    assert r.json()["stored"] == len(orders)


async def link(client, settings, topic: str, target_ids: list[str]) -> None:
    r = await client.put(f"/api/v1/metrics/topics/{topic}/targets", json={"target_ids": target_ids},
                         headers=bearer(settings, "supervisor"))
    assert r.status_code == 200, r.text


async def reassess(sessionmaker, day: date) -> list:
    async with sessionmaker() as session, session.begin():
        return await reassess_topic_spikes(session, "demo", day)


def view(target_id: str, leader: str, unit: str, cancelled: bool = False) -> TargetView:
    return TargetView(id=target_id, scope="demo", year=DAY.year, code=target_id, title=f"目标 {target_id}",
                      category="key_work", lead_unit=unit, leader=leader, version=1, event_seq=1, cancelled=cancelled,
                      indicator_kind="qualitative", direction="up")


async def test_a_linked_category_spiking_on_its_local_day_warns_the_target_until_a_quiet_day(
        client, settings, sessionmaker):
    async with sessionmaker() as session, session.begin():
        session.add_all([view("T-RIVER", "L-RIVER", "U-WATER"), view("T-ROAD", "L-ROAD", "U-ROADS"),
                         view("T-OLD", "L-OLD", "U-OLD", cancelled=True)])
    await link(client, settings, RIVER, ["T-RIVER", "T-OLD"])
    await link(client, settings, ROAD, ["T-ROAD"])
    # river: 7 orders three days before (mean 1 a day); on DAY 19 by day and one at 00:10 Beijing time, which is
    # still the previous day in UTC: 20 on the local day reaches the minimum, 19 would not
    await feed(client, settings, "RV-OLD", RIVER, [at(DAY - timedelta(days=3), 12)] * 7)
    await feed(client, settings, "RV", RIVER, [at(DAY, 10)] * 19 + [at(DAY, 0, 10)])
    # road: 30 today against 40 a day on the three days before (mean 17.1, twice that is 34.3): no spike
    await feed(client, settings, "RD-OLD", ROAD, [at(DAY - timedelta(days=k), 9) for k in (1, 2, 3) for _ in range(40)])
    await feed(client, settings, "RD", ROAD, [at(DAY, 9)] * 30)

    raised = await reassess(sessionmaker, DAY)
    assert [(type(e), e.kind, e.subject, e.target_id, e.unit, e.leader) for e in raised] == [
        (WarningRaised, "hotline_topic_spike", f"T-RIVER:{RIVER}", "T-RIVER", "U-WATER", "L-RIVER")]
    assert "20 件" in raised[0].message and "1.0 件" in raised[0].message
    assert await reassess(sessionmaker, DAY) == []  # already open: nothing new
    assert await inbox(client, settings, "leader", user="L-RIVER") == {("hotline_topic_spike", f"T-RIVER:{RIVER}")}
    assert await inbox(client, settings, "unit_reporter", unit="U-WATER") == await inbox(
        client, settings, "leader", user="L-RIVER")
    assert await inbox(client, settings, "leader", user="L-ROAD") == set()

    cleared = await reassess(sessionmaker, DAY + timedelta(days=1))
    assert [(type(e), e.subject, e.reason) for e in cleared] == [(WarningCleared, f"T-RIVER:{RIVER}", "话题工单量已回落")]


async def test_relinking_a_category_moves_its_warning_to_the_new_target(client, settings, sessionmaker):
    assert [e.subject for e in await reassess(sessionmaker, DAY)] == [f"T-RIVER:{RIVER}"]
    await link(client, settings, RIVER, ["T-ROAD"])
    moved = sorted((type(e).__name__, e.subject, getattr(e, "reason", None)) for e in await reassess(sessionmaker, DAY))
    assert moved == [("WarningCleared", f"T-RIVER:{RIVER}", "话题已不再关联该目标"),
                     ("WarningRaised", f"T-ROAD:{RIVER}", None)]


async def test_the_clock_raises_it_for_today_on_the_leaders_dashboard(client, worker, settings):
    today = datetime.now(CST).date()
    target = TargetPublished(
        target_id="T-LIVE", book_id="B-1", year=today.year, version=1, code="LIVE-1", title="市容整治",
        category="key_work", lead_unit="U-CITY", leader="L-LIVE", indicator=Indicator(kind="qualitative"),
        milestones=[MilestoneSnapshot(milestone_id="MS-LIVE", seq=1, due_date=today + timedelta(days=90))])
    await publish_envelopes(settings.amqp_url, [new_event(target, scope="demo", aggregate_id="T-LIVE", sequence=1)])
    await eventually(lambda: _target_known(client, settings))
    await link(client, settings, "占道经营", ["T-LIVE"])
    now = datetime.now(CST).replace(microsecond=0).isoformat()
    await feed(client, settings, "LIVE", "占道经营", [now] * 20)

    async def warned():
        r = await client.get("/api/v1/dashboards/leaders/L-LIVE", headers=bearer(settings, "leader", user="L-LIVE"))
        assert r.status_code == 200, r.text
        board = r.json()
        assert [(w["kind"], w["target_id"], w["unit"]) for w in board["open_warnings"]] == [
            ("hotline_topic_spike", "T-LIVE", "U-CITY")]
        assert [t["color"] for t in board["targets"]] == ["yellow"]
    await eventually(warned)


async def _target_known(client, settings) -> None:
    r = await client.get("/api/v1/targets/T-LIVE", headers=bearer(settings, "supervisor"))
    assert r.status_code == 200, r.text


async def inbox(client, settings, role: str, unit: str | None = None, user: str | None = None) -> set:
    r = await client.get("/api/v1/warnings", headers=bearer(settings, role, unit, user=user))
    assert r.status_code == 200, r.text
    return {(w["kind"], w["subject"]) for w in r.json()}

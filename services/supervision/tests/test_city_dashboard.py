"""The city's board against the real servers: planning's and execution's events place targets in two districts and
the city itself; the board colours each district's targets as its leader boards do (an overdue milestone red, a
due-soon warning yellow), worst district first, and drills down to a district; districts and another city are
refused."""
import uuid
from datetime import datetime, timedelta

import pytest

from bihuan_shared.contracts.planning import Indicator, MilestoneSnapshot, ScopeRegistered, TargetPublished
from bihuan_shared.events import new_event
from bihuan_shared.testing.services import bearer, eventually, publish_envelopes
from bihuan_supervision.domain.feeds.common import CST

pytestmark = pytest.mark.asyncio(loop_scope="session")
TODAY = datetime.now(CST).date()


def _scope(code: str, kind: str, parent: str | None = None):
    return new_event(ScopeRegistered(code=code, name=f"{code}名", kind=kind, parent=parent), scope=parent or code,
                     aggregate_id=f"scope:{code}", sequence=1)


def _target(scope: str, code: str, due_in: int):
    tid = uuid.uuid4().hex[:24]
    payload = TargetPublished(target_id=tid, book_id="B-1", year=TODAY.year, version=1, code=code, title=f"目标{code}",
                              category="key_work", lead_unit="U-CB", leader="L-QIAN",
                              indicator=Indicator(kind="qualitative"),
                              milestones=[MilestoneSnapshot(milestone_id=f"{tid}-M1", seq=1, deliverable="成果",
                                                            due_date=TODAY + timedelta(days=due_in))])
    return new_event(payload, scope=scope, aggregate_id=tid, sequence=1)


async def test_the_city_board_colours_each_district_and_drills_down(client, worker, settings):
    city, other = f"c{uuid.uuid4().hex[:6]}", f"o{uuid.uuid4().hex[:6]}"
    d1, d2 = f"{city}-a", f"{city}-b"
    await publish_envelopes(settings.amqp_url, [
        _scope(city, "city"), _scope(d1, "district", city), _scope(d2, "district", city), _scope(other, "city"),
        _target(d1, "A-1", -5), _target(d1, "A-2", 60), _target(d2, "B-1", 3), _target(city, "S-1", 60)])
    office = bearer(settings, "target_office", scope=city)

    async def coloured():
        r = await client.get(f"/api/v1/dashboards/cities/{city}", headers=office)
        assert r.status_code == 200, r.text
        board = r.json()
        assert [(d["district"], d["red"], d["yellow"], d["green"]) for d in board["districts"]] == [
            (d1, 1, 0, 1), (d2, 0, 1, 0)]
        return board
    board = await eventually(coloured)
    assert board["totals"]["total"] == 3 and board["city_own"]["green"] == 1
    assert board["districts"][1]["open_warnings"] >= 1 and board["districts"][0]["name"] == f"{d1}名"

    async def drilled():  # the city's reach over a district just registered is known within the tree's cache time
        r = await client.get(f"/api/v1/dashboards/districts/{d1}", headers=office)
        assert r.status_code == 200, r.text
        return r.json()
    drill = await eventually(drilled)
    assert drill["counts"] == {"red": 1, "yellow": 0, "green": 1, "total": 2}
    assert [(t["code"], t["color"]) for t in drill["targets"]] == [("A-1", "red"), ("A-2", "green")]

    d1_office = bearer(settings, "target_office", scope=d1)
    assert (await client.get(f"/api/v1/dashboards/districts/{d1}", headers=d1_office)).status_code == 200
    for headers, url in ((d1_office, f"/api/v1/dashboards/cities/{city}"), (d1_office, f"/api/v1/dashboards/districts/{d2}"),
                         (bearer(settings, "target_office", scope=other), f"/api/v1/dashboards/cities/{city}"),
                         (bearer(settings, "unit_reporter", "U-CB", scope=city), f"/api/v1/dashboards/cities/{city}")):
        r = await client.get(url, headers=headers)
        assert r.status_code == 403, (url, r.text)

"""For tests and demos: publishing real envelopes of planning, execution and supervision into the run's vhost, as those services would."""
import itertools
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime

from bihuan_shared.bus.publisher import OutgoingEvent, Publisher
from bihuan_shared.contracts.execution import CooperationRated, LagExplained, MilestoneCompleted, MilestoneOverdue
from bihuan_shared.contracts.planning import (Indicator, MilestoneSnapshot, ScopeRegistered, TargetPublished,
                                             UnitRegistered)
from bihuan_shared.contracts.supervision import UnitMetricsPublished
from bihuan_shared.events import new_event

_ids = itertools.count(1)


class Feeder:
    def __init__(self, publisher: Publisher, scope: str, year: int = 2026):
        self.publisher, self.scope, self.year = publisher, scope, year
        self.sequences: dict[str, int] = defaultdict(int)
        self.sent = 0
        self.targets: dict[str, TargetPublished] = {}

    async def _send(self, payload, aggregate_id: str) -> str:
        self.sequences[aggregate_id] += 1
        e = new_event(payload, scope=self.scope, aggregate_id=aggregate_id, sequence=self.sequences[aggregate_id])
        await self.publisher.publish([OutgoingEvent.of(e)])
        self.sent += 1
        return str(e.event_id)

    async def unit(self, code: str, name: str, group: str, kind: str = "territorial") -> None:
        await self._send(UnitRegistered(unit_code=code, name=name, kind=kind, assessment_group=group), f"unit-{code}")

    async def district(self, code: str, name: str) -> None:
        """Planning registering a district under this feeder's scope (a city); labelled with the city."""
        await self._send(ScopeRegistered(code=code, name=name, kind="district", parent=self.scope), f"scope-{code}")

    async def city(self) -> None:
        await self._send(ScopeRegistered(code=self.scope, name=self.scope, kind="city"), f"scope-{self.scope}")

    async def target(self, tid: str, lead: str, dues: list[date], *, weight: float = 1.0,
                     responsible: tuple[str, ...] = (), title: str = "目标", origin: str | None = None) -> str:
        snap = TargetPublished(origin_target_id=origin,
            target_id=tid, book_id=f"book-{self.scope}", year=self.year, version=1, code=tid, title=title,
            category="key_work", lead_unit=lead, responsible_units=list(responsible), weight=weight,
            indicator=Indicator(kind="qualitative"),
            milestones=[MilestoneSnapshot(milestone_id=f"{tid}-m{i + 1}", seq=i + 1, due_date=d)
                        for i, d in enumerate(dues)])
        self.targets[tid] = snap
        return await self._send(snap, tid)

    async def done(self, tid: str, n: int, timeliness: str) -> str:
        m = self.targets[tid].milestones[n - 1]
        return await self._send(MilestoneCompleted(
            target_id=tid, milestone_id=m.milestone_id, unit=self.targets[tid].lead_unit, due_date=m.due_date,
            completed_on=m.due_date, timeliness=timeliness, report_id=f"r{next(_ids)}"), f"exec-{tid}")

    async def overdue(self, tid: str, n: int) -> str:
        m = self.targets[tid].milestones[n - 1]
        return await self._send(MilestoneOverdue(target_id=tid, milestone_id=m.milestone_id,
                                                 unit=self.targets[tid].lead_unit, due_date=m.due_date), f"exec-{tid}")

    async def lag(self, tid: str, n: int, kind: str) -> str:
        m = self.targets[tid].milestones[n - 1]
        return await self._send(LagExplained(
            lag_id=uuid.uuid4().hex, target_id=tid, milestone_id=m.milestone_id, unit=self.targets[tid].lead_unit,
            reason_kind=kind, reason_category="policy_change" if kind == "objective" else "subjective",
            explanation="上级政策调整，审批暂停", explained_by="tester", explained_at=datetime.now(UTC)), f"lag-{tid}")

    async def metrics(self, unit: str, period: str, values: dict[str, float], source: str = "three_centers",
                      kind: str = "month", revision: int = 1, counts: dict[str, int] | None = None) -> str:
        return await self._send(UnitMetricsPublished(unit=unit, period=period, period_kind=kind, source=source,
                                                     revision=revision, metrics=values, counts=counts or {}),
                                f"metrics-{unit}-{period}")

    async def cooperation(self, tid: str, lead: str, cooperating: str, rating: float) -> str:
        return await self._send(CooperationRated(
            request_id=uuid.uuid4().hex, target_id=tid, lead_unit=lead, cooperating_unit=cooperating, rating=rating,
            rated_by=f"{lead}-head", rated_at=datetime(self.year, 11, 1, tzinfo=UTC)), f"coop-{tid}-{cooperating}")

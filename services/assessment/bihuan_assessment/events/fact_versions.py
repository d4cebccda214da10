"""Folding planning's and execution's events into the loaded target and milestone facts, in delivery order: pure,
no I/O. Stale versions are ignored by the aggregate sequence (planning's for targets, execution's per milestone);
the latest explanation of a lag decides whether the lag rules excuse it."""
from dataclasses import dataclass, field

from bihuan_shared.bus.scope_guard import require_same_record, require_same_scope
from bihuan_shared.contracts.execution import LagExplained, MilestoneCompleted, MilestoneOverdue
from bihuan_shared.contracts.planning import TargetAdjusted, TargetCancelled, TargetSnapshot
from bihuan_shared.events import Envelope

Rows = dict[str, dict]
MilestoneEvent = MilestoneCompleted | MilestoneOverdue | LagExplained


@dataclass
class FactVersions:
    """The rows of a batch's facts as its events leave them, and which rows to write."""

    targets: Rows
    milestones: Rows
    changed_targets: set[str] = field(default_factory=set)
    changed_milestones: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.stored_targets, self.stored_milestones = set(self.targets), set(self.milestones)

    def require_own_records(self, envelope: Envelope, event: TargetSnapshot | TargetCancelled | MilestoneEvent) -> None:
        """The stored target an event names must be of the envelope's scope, and the stored milestones it names
        of that target; otherwise the event is refused before it changes anything (stale or not)."""
        fact = self.targets.get(event.target_id)
        if fact is not None:
            require_same_scope(envelope, fact["scope"], f"target {event.target_id}")
        for milestone_id in touched(event)[1]:
            if milestone_id in self.milestones:
                require_same_record(envelope, self.milestones[milestone_id]["target_id"], event.target_id,
                                    f"milestone {milestone_id}")

    def snapshot(self, envelope: Envelope, event: TargetSnapshot) -> None:
        fact = self.targets.get(event.target_id)
        if fact is not None and envelope.sequence <= fact["event_seq"]:
            return
        fact = self.targets.setdefault(event.target_id, {"id": event.target_id, "adjusted": False})
        # An approved adjustment (动态调整) is an objective reason the lag rules may excuse.
        fact.update(scope=envelope.scope, event_seq=envelope.sequence, cancelled=False, year=event.year,
                    category=event.category, lead_unit=event.lead_unit, weight=event.weight, version=event.version,
                    responsible_units=list(event.responsible_units), code=event.code, title=event.title,
                    event_id=str(envelope.event_id), origin_target_id=event.origin_target_id,
                    adjusted=isinstance(event, TargetAdjusted) or bool(fact["adjusted"]))
        self.changed_targets.add(event.target_id)
        for snap in event.milestones:  # a milestone the new version drops is kept as it was
            m = self.milestones.get(snap.milestone_id)
            if m is None:
                self.milestones[snap.milestone_id] = _new_milestone(snap.milestone_id, event.target_id)
            self.milestones[snap.milestone_id]["due_date"] = snap.due_date
            self.changed_milestones.add(snap.milestone_id)

    def cancel(self, envelope: Envelope, event: TargetCancelled) -> None:
        fact = self.targets.get(event.target_id)
        if fact is not None and envelope.sequence > fact["event_seq"]:
            fact.update(cancelled=True, event_seq=envelope.sequence)
            self.changed_targets.add(event.target_id)

    def completed(self, envelope: Envelope, event: MilestoneCompleted) -> None:
        m = self._newer(envelope, event.milestone_id)
        if m is not None:
            m.update(completed_on=event.completed_on, timeliness=event.timeliness, exec_event_id=str(envelope.event_id))

    def overdue(self, envelope: Envelope, event: MilestoneOverdue) -> None:
        m = self._newer(envelope, event.milestone_id)
        if m is not None:
            m.update(overdue=True, exec_event_id=m["exec_event_id"] if m["completed_on"] else str(envelope.event_id))

    def lag(self, envelope: Envelope, event: LagExplained) -> None:
        m = self._known(event.milestone_id)
        if m["lag_at"] is None or event.explained_at >= m["lag_at"]:
            m.update(lag_kind=event.reason_kind, lag_at=event.explained_at, lag_event_id=str(envelope.event_id))
            self.changed_milestones.add(event.milestone_id)

    def _newer(self, envelope: Envelope, milestone_id: str) -> dict | None:
        """The milestone if this execution event is newer than what the facts hold."""
        m = self._known(milestone_id)
        if envelope.sequence <= m["exec_seq"]:
            return None
        m["exec_seq"] = envelope.sequence
        self.changed_milestones.add(milestone_id)
        return m

    def _known(self, milestone_id: str) -> dict:
        m = self.milestones.get(milestone_id)
        if m is None:  # planning's event is still on its way: the consumer retries this one later
            raise LookupError(f"milestone {milestone_id} not known yet")
        return m

    def target_rows(self) -> tuple[list[dict], list[dict]]:
        """(new rows, stored rows) to write."""
        return _split(self.targets, self.changed_targets, self.stored_targets)

    def milestone_rows(self) -> tuple[list[dict], list[dict]]:
        return _split(self.milestones, self.changed_milestones, self.stored_milestones)


def touched(event: TargetSnapshot | TargetCancelled | MilestoneEvent) -> tuple[list[str], list[str]]:
    """(target ids, milestone ids) an event needs loaded; a milestone event's target too, for its scope."""
    if isinstance(event, TargetSnapshot):
        return [event.target_id], [snap.milestone_id for snap in event.milestones]
    if isinstance(event, TargetCancelled):
        return [event.target_id], []
    return [event.target_id], [event.milestone_id]


def _new_milestone(milestone_id: str, target_id: str) -> dict:
    return {"id": milestone_id, "target_id": target_id, "completed_on": None, "timeliness": None, "overdue": False,
            "exec_seq": 0, "exec_event_id": None, "lag_kind": None, "lag_event_id": None, "lag_at": None}


def _split(rows: Rows, keys: set[str], stored: set[str]) -> tuple[list[dict], list[dict]]:
    ordered = sorted(keys)  # competing writers take row locks in the same order
    return [rows[k] for k in ordered if k not in stored], [rows[k] for k in ordered if k in stored]

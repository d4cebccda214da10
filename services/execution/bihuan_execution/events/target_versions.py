"""Folding planning's events about targets into the loaded rows of execution's copy, in delivery order: pure, no I/O.

Stale or repeated versions are ignored by the aggregate sequence; milestone progress survives a new version (a moved
milestone keeps what was reported); a milestone dropped by an adjustment is withdrawn, not deleted, because its
reports and lag reasons stay in history."""
from dataclasses import dataclass, field
from datetime import date

from bihuan_execution.domain.status import status_of
from bihuan_shared.bus.scope_guard import require_same_scope
from bihuan_shared.contracts.planning import TargetCancelled, TargetSnapshot
from bihuan_shared.events import Envelope

TARGET_FIELDS = ("year", "code", "title", "category", "lead_unit", "leader", "version", "parent_id", "area",
                 "origin_target_id")
Rows = dict[str, dict]


@dataclass
class TargetVersions:
    """The rows of a batch's targets and their milestones as its events leave them, and which rows to write."""

    targets: Rows
    milestones: dict[str, Rows]  # target id -> milestone id -> row
    day: date
    soon_days: int
    changed: set[str] = field(default_factory=set)  # targets whose row is written
    reshaped: set[str] = field(default_factory=set)  # targets whose milestones are written

    def __post_init__(self) -> None:
        self.stored = set(self.targets)
        self.stored_milestones = {m for rows in self.milestones.values() for m in rows}

    def apply(self, envelope: Envelope, event: TargetSnapshot | TargetCancelled) -> None:
        # An event labelled with another scope than the stored target's is refused before anything changes (one
        # in a batch fails the batch; replayed alone it is dead-lettered), stale or not.
        if event.target_id in self.targets:
            require_same_scope(envelope, self.targets[event.target_id]["scope"], f"target {event.target_id}")
        if isinstance(event, TargetCancelled):
            self.cancel(envelope.sequence, event)
        else:
            self.snapshot(envelope.sequence, envelope.scope, event)

    def cancel(self, sequence: int, event: TargetCancelled) -> None:
        target = self.targets.get(event.target_id)
        if target is not None and sequence > target["event_seq"]:  # unknown targets: the cancellation is ignored
            target.update(cancelled=True, event_seq=sequence)
            self.changed.add(event.target_id)

    def snapshot(self, sequence: int, scope: str, event: TargetSnapshot) -> None:
        target = self.targets.get(event.target_id)
        if target is not None and sequence <= target["event_seq"]:
            return  # an older or repeated version: the copy already knows better
        target = self.targets.setdefault(event.target_id, {"id": event.target_id})
        target.update({f: getattr(event, f) for f in TARGET_FIELDS}, scope=scope, event_seq=sequence, cancelled=False,
                      responsible_units=list(event.responsible_units),
                      cooperating_units=list(event.cooperating_units), indicator=event.indicator.model_dump(),
                      assignments=[a.model_dump() for a in event.assignments])
        self._merge_milestones(event, self.milestones.setdefault(event.target_id, {}))
        self.changed.add(event.target_id)
        self.reshaped.add(event.target_id)

    def _merge_milestones(self, event: TargetSnapshot, rows: Rows) -> None:
        listed = set()
        for snap in event.milestones:
            m = rows.setdefault(snap.milestone_id, _new_milestone(snap.milestone_id, event.target_id))
            m.update(seq=snap.seq, due_date=snap.due_date, expected_value=snap.expected_value,
                     deliverable=snap.deliverable, withdrawn=False)
            # A moved due date re-judges the milestone: done early/late is relative to the date now in force.
            # An open milestone past its (new) due date shows overdue at once; the overdue *event* is the clock's job.
            m["status"] = status_of(m["due_date"], m["completed_on"], self.day, self.soon_days)
            listed.add(snap.milestone_id)
        for milestone_id, m in rows.items():
            if milestone_id not in listed:
                m["withdrawn"] = True

    def target_rows(self) -> tuple[list[dict], list[dict]]:
        """(new rows, stored rows) to write."""
        return _split([self.targets[t] for t in self.changed], self.stored)

    def milestone_rows(self) -> tuple[list[dict], list[dict]]:
        # a list, not a dict by id: two targets claiming one milestone id must fail the insert, as they always did
        return _split([m for t in self.reshaped for m in self.milestones[t].values()], self.stored_milestones)


def _new_milestone(milestone_id: str, target_id: str) -> dict:
    return {"id": milestone_id, "target_id": target_id, "status": "pending", "completed_on": None,
            "latest_value": None, "event_seq": 0, "overdue_for": None, "withdrawn": False}


def _split(rows: list[dict], stored: set[str]) -> tuple[list[dict], list[dict]]:
    ordered = sorted(rows, key=lambda row: row["id"])  # competing writers take row locks in the same order
    return [r for r in ordered if r["id"] not in stored], [r for r in ordered if r["id"] in stored]

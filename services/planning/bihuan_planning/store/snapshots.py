"""Turning a stored target into the event contracts other services keep their copies from."""
from bihuan_planning.store.models import Target
from bihuan_shared.contracts.planning import (AssignmentSnapshot, Indicator, MilestoneSnapshot, TargetAdjusted,
                                              TargetCancelled, TargetPublished)
from bihuan_shared.events import Envelope, new_event


def snapshot_fields(target: Target) -> dict:
    return dict(
        target_id=target.id, book_id=target.book_id, year=target.year, version=target.version, code=target.code,
        title=target.title, content=target.content, work_measures=target.work_measures or "", area=target.area,
        parent_id=target.parent_id, category=target.category, source=target.source, lead_unit=target.lead_unit,
        responsible_units=list(target.responsible_units), cooperating_units=list(target.cooperating_units),
        leader=target.leader, weight=target.weight, indicator=Indicator.model_validate(target.indicator),
        proposal=target.proposal,
        milestones=[MilestoneSnapshot(milestone_id=m.id, seq=m.seq, due_date=m.due_date,
                                      expected_value=m.expected_value, deliverable=m.deliverable)
                    for m in target.milestones],
        assignments=[AssignmentSnapshot(district=a.district, share_value=a.share_value, deliverable=a.deliverable)
                     for a in target.assignments],
        origin_target_id=target.origin_target_id,
    )


def published_event(target: Target) -> Envelope:
    return new_event(TargetPublished(**snapshot_fields(target)), scope=target.scope, aggregate_id=target.id,
                     sequence=target.event_seq)


def adjusted_event(target: Target, adjustment_id: str, reason: str) -> Envelope:
    payload = TargetAdjusted(**snapshot_fields(target), adjustment_id=adjustment_id, reason=reason)
    return new_event(payload, scope=target.scope, aggregate_id=target.id, sequence=target.event_seq)


def cancelled_event(target: Target, adjustment_id: str, reason: str) -> Envelope:
    payload = TargetCancelled(target_id=target.id, version=target.version, adjustment_id=adjustment_id, reason=reason)
    return new_event(payload, scope=target.scope, aggregate_id=target.id, sequence=target.event_seq)

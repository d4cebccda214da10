"""Execution's tables: its own copy of published targets and milestones, and the progress reported on them."""
import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bihuan_shared.messaging.tables import KIT_METADATA
from bihuan_shared.scopes import SCOPE_TREE_METADATA


class Base(DeclarativeBase):
    pass


METADATA = [Base.metadata, KIT_METADATA, SCOPE_TREE_METADATA]


def new_id() -> str:
    return uuid.uuid4().hex


class TargetCopy(Base):
    """A published target as planning last told us (version and event sequence guard against stale updates)."""

    __tablename__ = "targets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(32))
    lead_unit: Mapped[str] = mapped_column(String(64), index=True)
    responsible_units: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    cooperating_units: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    leader: Mapped[str | None] = mapped_column(String(64))
    indicator: Mapped[dict] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)
    event_seq: Mapped[int] = mapped_column(Integer)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Key task (重点工作) / sub-item (子项目) structure, for period reports.
    parent_id: Mapped[str | None] = mapped_column(String(32), index=True)
    area: Mapped[str | None] = mapped_column(String(200))
    # City tier: a city task's shares per district ([{district, share_value, deliverable}]), and on a district's
    # linked target the city task it came from; together they give the city task's roll-up (api/city_tasks.py).
    assignments: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    origin_target_id: Mapped[str | None] = mapped_column(String(32), index=True)

    milestones: Mapped[list["MilestoneCopy"]] = relationship(order_by="MilestoneCopy.seq", lazy="selectin",
                                                              cascade="all, delete-orphan")


class MilestoneCopy(Base):
    __tablename__ = "milestones"
    # The overdue clock scans only open milestones by due date.
    __table_args__ = (Index("ix_milestones_open_due", "due_date", postgresql_where=text("completed_on IS NULL")),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    expected_value: Mapped[float | None] = mapped_column(Float)
    deliverable: Mapped[str | None] = mapped_column(Text)
    # Computed and stored: pending, due_soon, done_early, done_on_time, done_late, overdue.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    completed_on: Mapped[date | None] = mapped_column(Date)
    latest_value: Mapped[float | None] = mapped_column(Float)
    # Sequence of execution's own events about this milestone (progress reported, completed, overdue).
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    # The due date for which `milestone overdue` was emitted: the clock emits once per (milestone, due date).
    overdue_for: Mapped[date | None] = mapped_column(Date)
    # Dropped from the target by an adjustment; kept because reports may refer to it.
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class ProgressReport(Base):
    """Append-only: a correction is a new report, nothing is overwritten."""

    __tablename__ = "progress_reports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    target_id: Mapped[str] = mapped_column(ForeignKey("targets.id"), index=True)
    milestone_id: Mapped[str] = mapped_column(ForeignKey("milestones.id"), index=True)
    unit: Mapped[str] = mapped_column(String(64))
    actual_value: Mapped[float | None] = mapped_column(Float)
    deliverable_done: Mapped[bool | None] = mapped_column(Boolean)
    narrative: Mapped[str] = mapped_column(Text, default="")
    reported_by: Mapped[str] = mapped_column(String(200))
    reported_on: Mapped[date] = mapped_column(Date)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # A correction is a new report naming the one it corrects.
    corrects_report_id: Mapped[str | None] = mapped_column(String(32))


class Evidence(Base):
    """An uploaded evidence file: stored once by content hash, attached to a report or a contribution."""

    __tablename__ = "evidence"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scope: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    report_id: Mapped[str | None] = mapped_column(ForeignKey("progress_reports.id"), index=True)
    contribution_id: Mapped[str | None] = mapped_column(ForeignKey("contributions.id"), index=True)


class Contribution(Base):
    """A cooperating unit's contribution, reported to the lead unit; it never completes the lead's milestone."""

    __tablename__ = "contributions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    target_id: Mapped[str] = mapped_column(ForeignKey("targets.id"), index=True)
    milestone_id: Mapped[str | None] = mapped_column(ForeignKey("milestones.id"), index=True)
    unit: Mapped[str] = mapped_column(String(64), index=True)
    lead_unit: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float)
    narrative: Mapped[str] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(200))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LagExplanation(Base):
    """滞后原因: why a milestone is overdue or at risk, and how it will recover. Append-only."""

    __tablename__ = "lag_explanations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    target_id: Mapped[str] = mapped_column(ForeignKey("targets.id"), index=True)
    milestone_id: Mapped[str] = mapped_column(ForeignKey("milestones.id"), index=True)
    unit: Mapped[str] = mapped_column(String(64))
    reason_kind: Mapped[str] = mapped_column(String(16))
    reason_category: Mapped[str] = mapped_column(String(32))
    explanation: Mapped[str] = mapped_column(Text)
    recovery_plan: Mapped[str] = mapped_column(Text, default="")
    new_expected_date: Mapped[date | None] = mapped_column(Date)
    explained_by: Mapped[str] = mapped_column(String(200))
    explained_on: Mapped[date] = mapped_column(Date)
    explained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Matter(Base):
    """重要事项报告: a blocker raised to a leader or to other units; open until answered."""

    __tablename__ = "matters"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scope: Mapped[str] = mapped_column(String(64), index=True)
    target_id: Mapped[str | None] = mapped_column(ForeignKey("targets.id"), index=True)
    milestone_id: Mapped[str | None] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    to_leader: Mapped[str | None] = mapped_column(String(64), index=True)
    to_units: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    raised_by: Mapped[str] = mapped_column(String(200))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(200))
    answered_by_unit: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    event_seq: Mapped[int] = mapped_column(Integer, default=0)


class CooperationRequest(Base):
    """The lead unit asks a cooperating unit for a contribution: requested -> confirmed -> delivered -> rated."""

    __tablename__ = "cooperation_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scope: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(ForeignKey("targets.id"), index=True)
    milestone_id: Mapped[str | None] = mapped_column(String(32))
    lead_unit: Mapped[str] = mapped_column(String(64), index=True)
    cooperating_unit: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="requested")
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    contribution_id: Mapped[str | None] = mapped_column(String(32))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rating: Mapped[float | None] = mapped_column(Float)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_by: Mapped[str | None] = mapped_column(String(200))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    event_seq: Mapped[int] = mapped_column(Integer, default=0)

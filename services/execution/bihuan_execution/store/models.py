"""Execution's tables: its own copy of published targets and milestones, and the progress reported on them."""
import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bihuan_shared.messaging.tables import KIT_METADATA


class Base(DeclarativeBase):
    pass


METADATA = [Base.metadata, KIT_METADATA]


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

    milestones: Mapped[list["MilestoneCopy"]] = relationship(order_by="MilestoneCopy.seq", lazy="selectin",
                                                              cascade="all, delete-orphan")


class MilestoneCopy(Base):
    __tablename__ = "milestones"

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

"""Supervision's read model: every target and milestone as planning and execution reported them."""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bihuan_shared.messaging.tables import KIT_METADATA
from bihuan_shared.scopes import SCOPE_TREE_METADATA


class Base(DeclarativeBase):
    pass


METADATA = [Base.metadata, KIT_METADATA, SCOPE_TREE_METADATA]


def load_all_tables() -> None:
    """Import every table module so Base.metadata is complete (migrations, tests)."""
    from bihuan_supervision.store import (feed_tables, inbox_tables, matter_tables, metric_tables,  # noqa: F401
                                          order_tables, warning_tables, webhook_tables)


class TargetView(Base):
    __tablename__ = "target_views"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(32), index=True)
    lead_unit: Mapped[str] = mapped_column(String(64), index=True)
    leader: Mapped[str | None] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    event_seq: Mapped[int] = mapped_column(Integer)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    # For the trajectory warning (added in 0002; null for targets seen before).
    indicator_kind: Mapped[str | None] = mapped_column(String(16))
    direction: Mapped[str | None] = mapped_column(String(4))

    milestones: Mapped[list["MilestoneView"]] = relationship(order_by="MilestoneView.seq", lazy="selectin")


class MilestoneView(Base):
    __tablename__ = "milestone_views"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("target_views.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    expected_value: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    completed_on: Mapped[date | None] = mapped_column(Date)
    latest_value: Mapped[float | None] = mapped_column(Float)
    last_reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Sequence of execution's events for this milestone last applied.
    exec_seq: Mapped[int] = mapped_column(Integer, default=0)

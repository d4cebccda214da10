"""Closed periods, what was published for them, and which hotline categories speak about which target."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, PrimaryKeyConstraint, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from bihuan_supervision.store.models import Base


class PeriodClosure(Base):
    __tablename__ = "period_closures"
    __table_args__ = (PrimaryKeyConstraint("scope", "period"),)

    scope: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(8))  # 2026-03 | 2026-Q1 | 2026
    period_kind: Mapped[str] = mapped_column(String(8))
    closed_by: Mapped[str] = mapped_column(String(128))
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MetricPublication(Base):
    """The latest revision published for (unit, source, closed period); dirty = late data changed its counts."""

    __tablename__ = "metric_publications"
    __table_args__ = (PrimaryKeyConstraint("scope", "source", "unit", "period"),)

    scope: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(8))
    period_kind: Mapped[str] = mapped_column(String(8))
    revision: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict] = mapped_column(JSONB, default=dict)
    dirty: Mapped[bool] = mapped_column(Boolean, default=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TopicTargetLink(Base):
    """A hotline category that speaks about a target (e.g. 河道违建 ↔ the river governance target); configurable."""

    __tablename__ = "topic_target_links"
    __table_args__ = (PrimaryKeyConstraint("scope", "topic", "target_id"),)

    scope: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(200))
    target_id: Mapped[str] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(32), default="hotline")
    linked_by: Mapped[str] = mapped_column(String(128))

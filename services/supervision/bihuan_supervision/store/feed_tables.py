"""Tables of the external feeds and the incremental metric counts they feed."""
from datetime import date, datetime

from sqlalchemy import (BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, PrimaryKeyConstraint,
                        SmallInteger, String, Text, func)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from bihuan_supervision.domain.feeds import COUNTERS
from bihuan_supervision.store.models import Base


class FeedBatch(Base):
    """Who delivered which records when, by which path; every stored record points to its batch."""

    __tablename__ = "feed_batches"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    via: Mapped[str] = mapped_column(String(16))  # http | amqp | file
    actor: Mapped[str] = mapped_column(String(128))
    file_name: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    records: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


def _metric_columns() -> dict:
    return dict(
        batch_id=mapped_column(BigInteger, ForeignKey("feed_batches.id")),
        metric_unit=mapped_column(String(64), nullable=True),
        metric_month=mapped_column(Date),
        metric_day=mapped_column(Date),
        metric_topic=mapped_column(String(200), nullable=True),
        counted=mapped_column(Integer, nullable=False),  # bit i set: the record counts in COUNTERS[i]
    )


class HotlineOrder(Base):
    __tablename__ = "hotline_orders"
    # the index serves a target's page (latest orders of its linked categories)
    __table_args__ = (PrimaryKeyConstraint("scope", "order_id"),
                      Index("ix_hotline_orders_category_received", "scope", "category", "received_at"))

    scope: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(200))
    sub_category: Mapped[str | None] = mapped_column(String(200))
    district: Mapped[str | None] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    content: Mapped[str | None] = mapped_column(Text)
    assigned_unit: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8))
    status_history: Mapped[list] = mapped_column(JSONB)
    sign_in_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    close_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    repeat_of: Mapped[str | None] = mapped_column(String(64))
    locals().update(_metric_columns())


class WindowRating(Base):
    __tablename__ = "window_ratings"
    __table_args__ = (PrimaryKeyConstraint("scope", "rating_id"),)

    scope: Mapped[str] = mapped_column(String(64))
    rating_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(64))
    window_name: Mapped[str | None] = mapped_column(String(200))
    service_item: Mapped[str | None] = mapped_column(String(200))
    rated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    level: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    district: Mapped[str | None] = mapped_column(String(200))  # as the record named it (a city feed routes by it)
    locals().update(_metric_columns())


class CenterCase(Base):
    __tablename__ = "center_cases"
    __table_args__ = (PrimaryKeyConstraint("scope", "case_id"),)

    scope: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    center: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(200))  # as the record named it (a city feed routes by it)
    locals().update(_metric_columns())


def _counter_columns() -> dict:
    return {name: mapped_column(BigInteger, default=0, server_default="0") for name in COUNTERS}


class UnitMonthCounts(Base):
    """Running sums of the records' contributions per unit and month; quarters and years add their months."""

    __tablename__ = "unit_month_counts"
    __table_args__ = (PrimaryKeyConstraint("scope", "source", "unit", "month"),)

    scope: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(64))
    month: Mapped[date] = mapped_column(Date)
    locals().update(_counter_columns())


class TopicMonthCounts(Base):
    """The same sums per topic (hotline category), for the citizens' voice on a target's page."""

    __tablename__ = "topic_month_counts"
    __table_args__ = (PrimaryKeyConstraint("scope", "source", "topic", "month"),)

    scope: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(200))
    month: Mapped[date] = mapped_column(Date)
    locals().update(_counter_columns())


class UnitDayCounts(Base):
    """Records per unit and day: the baseline a complaint spike is measured against."""

    __tablename__ = "unit_day_counts"
    __table_args__ = (PrimaryKeyConstraint("scope", "source", "unit", "day"),)

    scope: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    records: Mapped[int] = mapped_column(BigInteger, default=0)

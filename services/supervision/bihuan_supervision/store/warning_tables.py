"""Warning rules per scope, warnings (one open per subject and kind), and the lags supervision has seen."""
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from bihuan_supervision.store.models import Base


class WarningRules(Base):
    __tablename__ = "warning_rules"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    yellow_days: Mapped[int] = mapped_column(Integer, default=7)           # due within N days, no progress
    trajectory_tolerance: Mapped[float] = mapped_column(Float, default=0.1)  # behind expected value by > 10%
    lag_repeats: Mapped[int] = mapped_column(Integer, default=2)           # lags explained on one target
    spike_factor: Mapped[float] = mapped_column(Float, default=2.0)        # today vs mean of the previous 7 days
    spike_min_orders: Mapped[int] = mapped_column(Integer, default=20)
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    # signs the webhook's deliveries of this scope (write-only in the API); empty: the service's webhook_secret
    webhook_secret: Mapped[str | None] = mapped_column(String(200))
    updated_by: Mapped[str] = mapped_column(String(128), default="system")


class Warning(Base):
    __tablename__ = "warnings"
    __table_args__ = (Index("uq_open_warning", "scope", "kind", "subject", unique=True,
                            postgresql_where=text("status = 'open'")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(64), index=True)
    # due_soon | overdue | behind_trajectory | repeated_lags | hotline_spike | hotline_topic_spike
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(8))    # yellow | red
    # milestone id, target id, unit (hotline spike) or "<target id>:<category>" (topic spike: 32 + 1 + 200)
    subject: Mapped[str] = mapped_column(String(240))
    target_id: Mapped[str | None] = mapped_column(String(32), index=True)
    milestone_id: Mapped[str | None] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(64), index=True)
    leader: Mapped[str | None] = mapped_column(String(64), index=True)
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="open")
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cleared_reason: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict] = mapped_column(JSONB, default=dict)


class LagSeen(Base):
    __tablename__ = "lags_seen"

    lag_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(32), index=True)
    milestone_id: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(64))
    explained_on: Mapped[date] = mapped_column(Date)

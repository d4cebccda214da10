"""Supervision orders (督办单) and their trail: every step, who, when, what was said and shown."""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bihuan_supervision.store.models import Base


class SupervisionOrder(Base):
    __tablename__ = "supervision_orders"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), index=True)
    unit: Mapped[str] = mapped_column(String(64), index=True)
    leader: Mapped[str | None] = mapped_column(String(64), index=True)
    subject_kind: Mapped[str] = mapped_column(String(16))  # target | milestone | matter | hotline_spike
    target_id: Mapped[str | None] = mapped_column(String(32))
    milestone_id: Mapped[str | None] = mapped_column(String(32))
    warning_id: Mapped[int | None] = mapped_column(Integer)
    matter_id: Mapped[str | None] = mapped_column(String(32))  # added in 0007: the important matter it is about
    title: Mapped[str] = mapped_column(String(200))
    requirement: Mapped[str] = mapped_column(Text)
    reply_by: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # issued | replied | sent_back | accepted
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    issued_by: Mapped[str] = mapped_column(String(128))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    trail: Mapped[list["OrderStep"]] = relationship(order_by="OrderStep.id", lazy="selectin")


class OrderStep(Base):
    __tablename__ = "supervision_order_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("supervision_orders.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # issued | replied | sent_back | accepted | escalated
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    note: Mapped[str] = mapped_column(Text, default="")
    progress: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list] = mapped_column(JSONB, default=list)

"""Assessment's facts: targets with their weights and units, and how each milestone was completed."""
from datetime import date

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bihuan_shared.messaging.tables import KIT_METADATA


class Base(DeclarativeBase):
    pass


METADATA = [Base.metadata, KIT_METADATA]


class TargetFact(Base):
    __tablename__ = "target_facts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(32))
    lead_unit: Mapped[str] = mapped_column(String(64), index=True)
    responsible_units: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    weight: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer)
    event_seq: Mapped[int] = mapped_column(Integer)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class MilestoneFact(Base):
    __tablename__ = "milestone_facts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("target_facts.id", ondelete="CASCADE"), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    timeliness: Mapped[str | None] = mapped_column(String(16))
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    exec_seq: Mapped[int] = mapped_column(Integer, default=0)

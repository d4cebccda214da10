"""The directory (名录): scopes, units and leaders in charge. Other services learn it from events."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from bihuan_planning.store.models import Base


class Scope(Base):
    """A city or one of its districts; every record belongs to one scope."""

    __tablename__ = "scopes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="district")
    parent: Mapped[str | None] = mapped_column(String(64), index=True)
    event_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("scope", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(64), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent: Mapped[str | None] = mapped_column(String(64))
    assessment_group: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


class Leader(Base):
    """分管领导 and the units in charge (the targets in charge follow from Target.leader)."""

    __tablename__ = "leaders"
    __table_args__ = (UniqueConstraint("scope", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(64), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(200))
    units: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    event_seq: Mapped[int] = mapped_column(Integer, default=0)

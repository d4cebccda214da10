"""Planning's own tables. Targets are versioned; every change after publication is an adjustment."""
import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bihuan_shared.messaging.tables import KIT_METADATA


class Base(DeclarativeBase):
    pass


METADATA = [Base.metadata, KIT_METADATA]


def new_id() -> str:
    return uuid.uuid4().hex


class Target(Base):
    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("scope", "year", "code"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scope: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int] = mapped_column(Integer)
    book_id: Mapped[str] = mapped_column(String(100), index=True)
    code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text, default="")
    work_measures: Mapped[str] = mapped_column(Text, default="", server_default="")
    area: Mapped[str | None] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(String(32), index=True)
    category: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(64))
    lead_unit: Mapped[str] = mapped_column(String(64), index=True)
    responsible_units: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    cooperating_units: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    leader: Mapped[str | None] = mapped_column(String(64), index=True)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    indicator: Mapped[dict] = mapped_column(JSONB)
    # 项目计划书: {"document_id", "filename"} for an upload, or {"reference"} for a document number / link.
    proposal: Mapped[dict | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    # 市级交办: a district's target placed by publishing a city task; its share and dates are the city's to change.
    origin_target_id: Mapped[str | None] = mapped_column(String(32), index=True)
    # Sequence of the last event emitted for this target; consumers drop anything older.
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())

    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="target", order_by="Milestone.seq", cascade="all, delete-orphan", lazy="selectin"
    )
    # A city task's shares per district (empty for every other target); they travel in its events.
    assignments: Mapped[list["CityAssignment"]] = relationship(
        order_by="CityAssignment.district", cascade="all, delete-orphan", lazy="selectin"
    )


class CityAssignment(Base):
    """One district's share of a city task (市级交办): quantity or deliverable, and its own milestones. Publishing
    the city task places a linked target in the district's book (district_target_id)."""

    __tablename__ = "city_assignments"

    city_target_id: Mapped[str] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), primary_key=True)
    district: Mapped[str] = mapped_column(String(64), primary_key=True)
    share_value: Mapped[float | None] = mapped_column(Float)
    deliverable: Mapped[str | None] = mapped_column(Text)
    milestones: Mapped[list] = mapped_column(JSONB, default=list)
    district_target_id: Mapped[str | None] = mapped_column(String(32))
    assigned_by: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Milestone(Base):
    __tablename__ = "milestones"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    target_id: Mapped[str] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    expected_value: Mapped[float | None] = mapped_column(Float)
    deliverable: Mapped[str | None] = mapped_column(Text)

    target: Mapped[Target] = relationship(back_populates="milestones")


class TargetTransition(Base):
    """Who moved a target through its lifecycle, when, and why: the approvals record."""

    __tablename__ = "target_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TargetBook(Base):
    """目标书: one per scope and year; created with its first target."""

    __tablename__ = "target_books"
    __table_args__ = (UniqueConstraint("scope", "year"),)

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    # How the Excel layout groups milestones: "quarter" (一季度…四季度) or "month" (1月…12月).
    milestone_period: Mapped[str] = mapped_column(String(8), default="quarter")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TargetHistory(Base):
    """Append-only: every change of a target — who, when, what changed (field, before, after), why."""

    __tablename__ = "target_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target_id: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[list] = mapped_column(JSONB, default=list)
    adjustment_id: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Adjustment(Base):
    """动态调整: a request to add, change or cancel a published target; applied only when approved."""

    __tablename__ = "adjustments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scope: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    target_id: Mapped[str | None] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(Text)
    proposal: Mapped[dict] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    resulting_version: Mapped[int | None] = mapped_column(Integer)


class Document(Base):
    """An uploaded project proposal (项目计划书); small files kept in the service's own database."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    target_id: Mapped[str] = mapped_column(String(32), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Contract(Base):
    """责任书: a unit's targets of one year, signed by the unit and its leader in charge."""

    __tablename__ = "contracts"
    __table_args__ = (UniqueConstraint("scope", "year", "unit_code"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scope: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int] = mapped_column(Integer)
    unit_code: Mapped[str] = mapped_column(String(64))
    leader_code: Mapped[str | None] = mapped_column(String(64))
    targets: Mapped[list] = mapped_column(JSONB, default=list)
    status: Mapped[str] = mapped_column(String(16), default="drafted")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    signed_by: Mapped[str | None] = mapped_column(String(200))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sign_note: Mapped[str | None] = mapped_column(Text)
    event_seq: Mapped[int] = mapped_column(Integer, default=0)


from bihuan_planning.store import directory_models  # noqa: E402,F401  (registers the directory tables)

"""Assessment's own tables: facts learnt from other services' events, the inputs entered here (evaluations,
statistics, bonus / penalty / veto items), schemes, assessments with their versioned runs, scorecards, accountability."""
from datetime import date, datetime

from sqlalchemy import (Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, func)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bihuan_shared.messaging.tables import KIT_METADATA
from bihuan_shared.scopes import SCOPE_TREE_METADATA


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSONB, list: JSONB}


METADATA = [Base.metadata, KIT_METADATA, SCOPE_TREE_METADATA]


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
    code: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(500))
    adjusted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    event_id: Mapped[str | None] = mapped_column(String(64))  # the planning event the current version came from
    # set on a district's linked target (市级交办): the city target it was placed from; a city scheme scores a
    # district's city-task completion from these
    origin_target_id: Mapped[str | None] = mapped_column(String(32), index=True)


class MilestoneFact(Base):
    __tablename__ = "milestone_facts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("target_facts.id", ondelete="CASCADE"), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    timeliness: Mapped[str | None] = mapped_column(String(16))
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    exec_seq: Mapped[int] = mapped_column(Integer, default=0)
    exec_event_id: Mapped[str | None] = mapped_column(String(64))
    lag_kind: Mapped[str | None] = mapped_column(String(16))  # objective / subjective, from execution.lag.explained
    lag_event_id: Mapped[str | None] = mapped_column(String(64))
    lag_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UnitFact(Base):
    """A unit of the directory as planning publishes it; its assessment group places it in a scheme group."""
    __tablename__ = "unit_facts"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent: Mapped[str | None] = mapped_column(String(64))
    assessment_group: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    event_seq: Mapped[int] = mapped_column(Integer, default=0)


class MetricFact(Base):
    """Objective metrics of a unit for a period and source (supervision's feeds, or statistics entered here)."""
    __tablename__ = "metric_facts"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict] = mapped_column(JSONB)
    origin: Mapped[str] = mapped_column(String(64))  # event id or "statistics:<user>"


class Evaluation(Base):
    """One evaluator's score (0..100) of a unit: leader, management department, third party, or a lead unit's
    rating of a cooperating unit."""
    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("scope", "year", "unit", "kind", "evaluator", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    evaluator: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(64), default="")  # target id for cooperation ratings, else ""
    score: Mapped[float] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(64))  # event id or "api:<user>" / "excel:<user>"
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


Index("ix_evaluations_lookup", Evaluation.scope, Evaluation.year, Evaluation.unit)


class ScoreItem(Base):
    """A bonus, penalty or veto finding against a unit (or against a target: joint penalties reach every unit)."""
    __tablename__ = "score_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(64))
    item_key: Mapped[str] = mapped_column(String(64))
    points: Mapped[float] = mapped_column(Float, default=0)
    target_id: Mapped[str | None] = mapped_column(String(32))
    basis: Mapped[str] = mapped_column(Text)
    entered_by: Mapped[str] = mapped_column(String(200))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


Index("ix_score_items_lookup", ScoreItem.scope, ScoreItem.year)


class Scheme(Base):
    """考核办法: rules for one scope and year, versioned; frozen once opened (then only a new version can differ)."""
    __tablename__ = "schemes"
    __table_args__ = (UniqueConstraint("scope", "year", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft / open
    rules: Mapped[dict] = mapped_column(JSONB)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))


class Assessment(Base):
    """One year's assessment of a scope under its open scheme; results come from its latest finished run."""
    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("scope", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id"))
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / published
    published_run: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_run: Mapped[int] = mapped_column(Integer, default=0)


class AssessmentRun(Base):
    """A recomputation: one job per scheme group on the work queue; done when every group is written."""
    __tablename__ = "assessment_runs"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), primary_key=True)
    run_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules: Mapped[dict] = mapped_column(JSONB)  # the scheme as it was when the run was requested
    groups_total: Mapped[int] = mapped_column(Integer)
    groups_done: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued / done
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RunGroup(Base):
    """Marks a (run, group) job as written: the idempotency key of a job, whoever processes it."""
    __tablename__ = "run_groups"

    assessment_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    worker: Mapped[str] = mapped_column(String(100))
    units: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Scorecard(Base):
    __tablename__ = "scorecards"

    assessment_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_key: Mapped[str] = mapped_column(String(64))
    total: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    vetoed: Mapped[bool] = mapped_column(Boolean)
    rank: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(16))
    bottom: Mapped[bool] = mapped_column(Boolean)
    card: Mapped[dict] = mapped_column(JSONB)  # components, lines with rule / points / sources, proposals


class AccountabilityRecord(Base):
    """问责: against a unit, by a scheme rule at publication or by hand, always with its basis."""
    __tablename__ = "accountability_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    unit: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64))  # veto / red_targets / grade / bottom / fail / manual
    measure: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(Text)
    target_ids: Mapped[list] = mapped_column(JSONB, default=list)
    sources: Mapped[list] = mapped_column(JSONB, default=list)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

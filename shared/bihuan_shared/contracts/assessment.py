"""Facts assessment publishes: recomputations requested (its own work queue), results published, accountability."""
from datetime import datetime

from pydantic import BaseModel

from bihuan_shared.events import event_contract


@event_contract("assessment.recompute.requested", 1, producer="assessment")
class RecomputeRequested(BaseModel):
    """A recomputation of one scheme group was requested; assessment workers compete for these (one job each)."""

    assessment_id: int
    run_no: int
    group_key: str
    year: int


class PublishedScore(BaseModel):
    unit: str
    group_key: str
    total: float
    rank: int
    grade: str
    passed: bool | None = None
    vetoed: bool = False
    bottom: bool = False


@event_contract("assessment.results.published", 1, producer="assessment")
class ResultsPublished(BaseModel):
    """An assessment's results were published and frozen (one scope, one year)."""

    assessment_id: int
    year: int
    run_no: int
    scheme_id: int
    scheme_version: int
    published_by: str
    published_at: datetime
    scores: list[PublishedScore]


@event_contract("assessment.accountability.recorded", 1, producer="assessment")
class AccountabilityRecorded(BaseModel):
    """An accountability record (问责) was made against a unit, by a scheme rule or by hand, with its basis."""

    record_id: int
    assessment_id: int
    year: int
    unit: str
    rule: str  # veto / red_targets / grade / bottom / fail / manual
    measure: str
    basis: str
    target_ids: list[str] = []
    recorded_by: str

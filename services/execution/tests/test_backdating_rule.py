"""The reported_on rule (domain/backdating.py), pure: period start, the future, and the backdating tolerance."""
from datetime import date

from bihuan_execution.domain.backdating import period_start, reported_on_problem

TODAY = date(2027, 4, 15)


def problem(reported_on: date, starts: date = date(2027, 1, 1), tolerance: int = 7) -> str | None:
    found = reported_on_problem(reported_on, today=TODAY, starts=starts, tolerance_days=tolerance)
    return found and found.code


def test_the_period_opens_at_the_previous_due_date_or_the_year_start():
    assert period_start(2027, None) == date(2027, 1, 1)
    assert period_start(2027, date(2027, 3, 31)) == date(2027, 3, 31)


def test_1900_on_a_2027_milestone_is_before_its_period():
    assert problem(date(1900, 1, 1)) == "reported_on_before_period"
    assert problem(date(2027, 4, 10), starts=date(2027, 4, 12)) == "reported_on_before_period"


def test_tomorrow_is_in_the_future():
    assert problem(date(2027, 4, 16)) == "reported_on_in_future"


def test_within_the_tolerance_is_accepted_and_older_is_backdating():
    assert problem(TODAY) is None
    assert problem(date(2027, 4, 8)) is None            # exactly 7 days before filing
    assert problem(date(2027, 4, 7)) == "reported_on_backdated"
    assert problem(date(2027, 3, 30)) == "reported_on_backdated"  # the "done before it was overdue" claim
    assert problem(date(2027, 4, 7), tolerance=30) is None
    assert problem(date(2027, 4, 14), tolerance=0) == "reported_on_backdated"

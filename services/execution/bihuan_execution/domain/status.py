"""Milestone status, the words of "只能提前，不能拖延": early completion is good, lateness is visible. Pure rules."""
from datetime import date, timedelta

PENDING, DUE_SOON, OVERDUE = "pending", "due_soon", "overdue"
DONE_EARLY, DONE_ON_TIME, DONE_LATE = "done_early", "done_on_time", "done_late"
DONE = frozenset({DONE_EARLY, DONE_ON_TIME, DONE_LATE})


def timeliness(due: date, completed_on: date) -> str:
    """early / on_time / late. Completing on the due date itself is on time."""
    if completed_on < due:
        return "early"
    return "on_time" if completed_on == due else "late"


def status_of(due: date, completed_on: date | None, today: date, due_soon_days: int = 7) -> str:
    if completed_on is not None:
        return {"early": DONE_EARLY, "on_time": DONE_ON_TIME, "late": DONE_LATE}[timeliness(due, completed_on)]
    if today > due:
        return OVERDUE
    return DUE_SOON if due - today <= timedelta(days=due_soon_days) else PENDING


def reaches(expected: float | None, actual: float | None, direction: str) -> bool:
    """Does a cumulative actual value meet the milestone's expected value in the indicator's direction?"""
    if expected is None or actual is None:
        return False
    return actual >= expected if direction == "up" else actual <= expected

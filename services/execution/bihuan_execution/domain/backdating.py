"""Which day a progress report may say the work was done (reported_on). Pure: the route passes in what it knows.

The date decides timeliness, so it must not be free: a report dated 1900-01-01 on a milestone overdue since March
turned it into "done early" and cleared its warnings (issue 12, finding 3). A report may be dated within its
milestone's period (from the previous milestone's due date, or the target's year start for the first) and never
after today; one dated more than `tolerance_days` before the day it is filed is backdating, refused until an
approval path exists (the trust issue that adds approval of backdated reports extends this one function)."""
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class DateProblem:
    code: str
    message: str


def period_start(target_year: int, previous_due: date | None) -> date:
    """The first day work on a milestone can count: the previous milestone's due date (work finished that day may
    close both), or 1 January of the target's year (targets are published for their year) for the first one."""
    return previous_due or date(target_year, 1, 1)


def reported_on_problem(reported_on: date, *, today: date, starts: date, tolerance_days: int) -> DateProblem | None:
    """None when reported_on is acceptable, else why not (a machine code and a zh-CN message)."""
    if reported_on > today:
        return DateProblem("reported_on_in_future", "报送日期不能晚于今天")
    if reported_on < starts:
        return DateProblem("reported_on_before_period",
                           f"报送日期不能早于该节点的考核期开始日 {starts.isoformat()}")
    if today - reported_on > timedelta(days=tolerance_days):
        return DateProblem("reported_on_backdated",
                           f"报送日期早于今天超过 {tolerance_days} 天，属于补录倒签，不予受理")
    return None

"""Three-center cases (行政服务中心, 网格化中心, 社区事务受理中心): timeliness = closed by the deadline / closed."""
from bihuan_supervision.domain.feeds.common import MAX_ID, Checker, FeedSource, counted, local_day, month_of

CENTERS = {"行政服务中心": "行政服务中心", "网格化中心": "网格化中心", "社区事务受理中心": "社区事务受理中心",
           "administrative_service": "行政服务中心", "grid": "网格化中心", "community_affairs": "社区事务受理中心"}


def parse_case(rec: dict, c: Checker) -> tuple | None:
    case_id = c.text(rec, "case_id", required=True, max_len=MAX_ID)
    version = c.integer(rec, "version", required=True)
    center = c.choice(rec, "center", CENTERS, required=True)
    unit = c.text(rec, "unit", required=True, max_len=MAX_ID)
    received_at = c.moment(rec, "received_at", required=True)
    deadline = c.moment(rec, "deadline")
    closed_at = c.moment(rec, "closed_at")
    row = (case_id, version, center, unit, c.text(rec, "category"), received_at, deadline, closed_at,
           c.text(rec, "outcome", max_len=64), c.text(rec, "district"))
    if c.errors:
        return None
    if closed_at is not None and closed_at < received_at:
        c.fail("closed_at", "办结时间早于受理时间")
        return None
    day = local_day(received_at)
    closed = closed_at is not None
    on_time = closed and (deadline is None or closed_at <= deadline)
    bits = counted(True, False, False, closed, on_time, closed and row[8] in RESOLVED)
    return (*row, unit, month_of(day), day, center, bits)


RESOLVED = frozenset({"resolved", "已解决", "办结"})

CENTER_CASES = FeedSource(
    name="three_centers", title="三个中心案件", table="center_cases", key="case_id",
    columns=("case_id", "version", "center", "unit", "category", "received_at", "deadline", "closed_at", "outcome",
             "district"),
    parse=parse_case,
)

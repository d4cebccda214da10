"""Service-window ratings (政务服务“好差评”): five levels; satisfied = 非常满意 or 满意, bad review = 不满意 or worse."""
from bihuan_supervision.domain.feeds.common import MAX_ID, MAX_TEXT, Checker, FeedSource, counted, local_day, month_of

LEVELS = {"非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "非常不满意": 1,
          "5": 5, "4": 4, "3": 3, "2": 2, "1": 1}


def parse_rating(rec: dict, c: Checker) -> tuple | None:
    rating_id = c.text(rec, "rating_id", required=True, max_len=MAX_ID)
    version = c.integer(rec, "version", required=True)
    unit = c.text(rec, "unit", required=True, max_len=MAX_ID)
    rated_at = c.moment(rec, "rated_at", required=True)
    level = c.choice(rec, "level", LEVELS, required=True)
    row = (rating_id, version, unit, c.text(rec, "window"), c.text(rec, "service_item"), rated_at, level,
           c.text(rec, "comment", max_len=MAX_TEXT), c.text(rec, "district"))
    if c.errors:
        return None
    day = local_day(rated_at)
    bits = counted(True, False, False, False, False, False, True, level >= 4, False, level <= 2)
    return (*row, unit, month_of(day), day, row[4], bits)


WINDOW_RATINGS = FeedSource(
    name="service_window", title="政务服务好差评", table="window_ratings", key="rating_id",
    columns=("rating_id", "version", "unit", "window_name", "service_item", "rated_at", "level", "comment",
             "district"),
    parse=parse_rating,
)

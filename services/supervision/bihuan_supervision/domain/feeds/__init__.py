"""External feeds (12345 hotline, service-window ratings, three centers): one pattern for every source.

Each source turns a raw record (a dict from JSON, CSV, Excel or AMQP) into a row tuple for its table, or a list of
errors naming the field. The row carries what it counts in (bits of COUNTERS) so metrics can be kept
incrementally: a new version of a record adds its counts and takes back the old version's."""
from bihuan_supervision.domain.feeds.common import COUNTERS, FeedSource, RecordError
from bihuan_supervision.domain.feeds.centers import CENTER_CASES
from bihuan_supervision.domain.feeds.hotline import HOTLINE
from bihuan_supervision.domain.feeds.windows import WINDOW_RATINGS

SOURCES: dict[str, FeedSource] = {s.name: s for s in (HOTLINE, WINDOW_RATINGS, CENTER_CASES)}

__all__ = ["COUNTERS", "FeedSource", "RecordError", "SOURCES", "HOTLINE", "WINDOW_RATINGS", "CENTER_CASES"]

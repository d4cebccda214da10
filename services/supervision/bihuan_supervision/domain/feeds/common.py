"""What every feed source shares: the checks of a field, the metric counters, the shape of an error."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

import msgspec

# Beijing time: a record without an offset is local time, and its month and day are local too.
CST = timezone(timedelta(hours=8))

# What a record counts in (0 or 1 each); unit_month_counts keeps one running sum per counter. A row carries them as
# one integer of bits (counted): bit i set = counts in COUNTERS[i].
COUNTERS = ("records", "sign_in_due", "signed_on_time", "closed", "closed_on_time", "resolved", "rated",
            "satisfied", "repeats", "bad_reviews")

# Every feed table starts with HEAD_COLUMNS (added at ingestion) and ends with METRIC_COLUMNS (generic SQL reads
# them); a source's parse returns its own columns (key and version first) followed by the metric columns.
HEAD_COLUMNS = ("scope", "batch_id")
METRIC_COLUMNS = ("metric_unit", "metric_month", "metric_day", "metric_topic", "counted")

MAX_ID = 64
MAX_TEXT = 4000
MAX_SHORT = 200


@dataclass(frozen=True)
class RecordError:
    index: int
    field: str
    message: str

    def as_detail(self) -> dict:
        return {"index": self.index, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class FeedSource:
    name: str            # hotline | service_window | three_centers (also MetricSource of the contract)
    title: str           # for users
    table: str
    key: str             # the source's own id column
    columns: tuple[str, ...]  # the source's own columns: key, version, then the rest
    parse: Callable[[dict, "Checker"], tuple | None]
    wire: "Wire | None" = None  # a fast strict reader of the source's canonical JSON, where volume needs one

    @property
    def all_columns(self) -> tuple[str, ...]:
        return (*HEAD_COLUMNS, *self.columns, *METRIC_COLUMNS)

    @property
    def district_at(self) -> int:
        """Where a row holds the district its record names (what a city-wide feed routes by)."""
        return self.columns.index("district")


@dataclass(frozen=True)
class Wire:
    """A strict reader of one record's canonical JSON (msgspec, in C) and the row of what it read. A record it refuses
    goes to the source's lenient parse, the authority on what is wrong; so it must accept nothing parse refuses and
    read everything it accepts exactly as parse does."""

    decoder: msgspec.json.Decoder
    row: Callable[[Any], tuple]


class Checker:
    """Collects the problems of one record; each getter returns None when the field is bad (and notes why)."""

    __slots__ = ("index", "errors")

    def __init__(self, index: int):
        self.index = index
        self.errors: list[RecordError] = []

    def fail(self, field: str, message: str) -> None:
        self.errors.append(RecordError(self.index, field, message))

    def text(self, rec: dict, field: str, *, required: bool = False, max_len: int = MAX_SHORT) -> str | None:
        value = rec.get(field)
        if type(value) is str and 0 < len(value) <= max_len and _storable(value):  # the common case first
            return value
        if value is None or value == "":
            if required:
                self.fail(field, "必填字段缺失")
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # CSV / Excel ids may arrive as numbers
        if not isinstance(value, str):
            self.fail(field, "应为文本")
            return None
        if len(value) > max_len:
            self.fail(field, f"长度超过 {max_len}")
            return None
        if not _storable(value):
            self.fail(field, "含有无法保存的字符（NUL 或不成对的代理字符）")
            return None
        return value

    def integer(self, rec: dict, field: str, *, required: bool = False, lo: int = 0, hi: int = 2**31 - 1) -> int | None:
        value = rec.get(field)
        if value is None or value == "":
            if required:
                self.fail(field, "必填字段缺失")
            return None
        if isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                self.fail(field, "应为整数")
                return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(field, "应为整数")
            return None
        if not lo <= value <= hi:
            self.fail(field, f"应在 {lo} 到 {hi} 之间")
            return None
        return value

    def moment(self, rec: dict, field: str, *, required: bool = False) -> datetime | None:
        return self.moment_of(rec.get(field), field, required)

    def moment_of(self, value: Any, field: str, required: bool = False) -> datetime | None:
        if type(value) is str:  # hot path: RFC 3339, read exactly as the fast decoder (wire.py) reads it
            try:
                return local_moment(msgspec.convert(value, datetime))
            except msgspec.ValidationError:
                pass
        if value is None or value == "":
            if required:
                self.fail(field, "必填字段缺失")
            return None
        if isinstance(value, datetime):
            dt = value
        elif isinstance(value, str):  # the other ISO 8601 forms (a date alone, basic format, ...)
            try:
                dt = datetime.fromisoformat(value)
            except ValueError:
                self.fail(field, "时间格式应为 ISO 8601，如 2026-03-01T09:30:00+08:00")
                return None
        else:
            self.fail(field, "应为时间文本")
            return None
        return local_moment(dt)

    def flag(self, rec: dict, field: str) -> bool | None:
        value = rec.get(field)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, str)) and str(value).strip().lower() in _TRUE:
            return True
        if isinstance(value, (int, str)) and str(value).strip().lower() in _FALSE:
            return False
        self.fail(field, "应为 是/否 (true/false)")
        return None

    def choice(self, rec: dict, field: str, allowed: dict[str, Any], *, required: bool = False) -> Any:
        value = rec.get(field)
        if value is None or value == "":
            if required:
                self.fail(field, "必填字段缺失")
            return None
        key = value if isinstance(value, str) else str(value)
        if key not in allowed:
            self.fail(field, f"取值应为: {'、'.join(k for k in allowed if not k.isascii())}")
            return None
        return allowed[key]


def _storable(value: str) -> bool:
    """PostgreSQL text holds neither NUL nor a lone surrogate (UTF-8 cannot encode it); refuse such a value here so
    one bad record is answered instead of the whole batch failing at insert."""
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


_TRUE = {"true", "1", "yes", "y", "是"}
_FALSE = {"false", "0", "no", "n", "否"}


def counted(*flags: bool) -> int:
    """The bits of what a record counts in, one flag per counter in COUNTERS order (records first)."""
    bits = 0
    for i, flag in enumerate(flags):
        if flag:
            bits |= 1 << i
    return bits


def local_moment(moment: datetime) -> datetime:
    """A moment without an offset is Beijing time."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CST)


def local_day(moment: datetime) -> date:
    return moment.astimezone(CST).date()


def month_of(day: date) -> date:
    return day.replace(day=1)

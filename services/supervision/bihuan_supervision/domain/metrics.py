"""Objective metrics from running counts: periods (month / quarter / year) and the rates each source defines,
a district's ranking of its units, and the query values every metrics route reads (checked here, named on error).
A rate whose denominator is zero is left out (no data is not 0%)."""
import re
from datetime import date

from bihuan_shared.web.errors import Invalid
from bihuan_supervision.domain.feeds.common import COUNTERS

_PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")

# rate name -> (numerator counter, denominator counter), per source
RATES: dict[str, dict[str, tuple[str, str]]] = {
    "hotline": {"on_time_sign_in_rate": ("signed_on_time", "sign_in_due"),
                "on_time_close_rate": ("closed_on_time", "closed"),
                "resolution_rate": ("resolved", "closed"),
                "satisfaction_rate": ("satisfied", "rated"),
                "repeat_call_rate": ("repeats", "records")},
    "service_window": {"satisfaction_rate": ("satisfied", "rated"),
                       "bad_review_rate": ("bad_reviews", "rated")},
    "three_centers": {"timeliness_rate": ("closed_on_time", "closed"),
                      "resolution_rate": ("resolved", "closed")},
}
# the counts each source publishes beside its rates
COUNTS: dict[str, tuple[str, ...]] = {
    "hotline": ("records", "closed", "rated", "repeats"),
    "service_window": ("records", "satisfied", "bad_reviews"),
    "three_centers": ("records", "closed", "closed_on_time"),
}


def parse_period(period: str | None) -> tuple[str, list[date]]:
    """'2026-03' -> month, '2026-Q1' -> quarter, '2026' -> year; with the months it spans."""
    if not period:
        raise _refuse("period", "请提供统计期间，如 2026-03、2026-Q1 或 2026", "period_missing")
    m = _PERIOD.fullmatch(period)
    if m is None:
        raise _refuse("period", "期间格式应为 2026-03、2026-Q1 或 2026", "period_invalid")
    year, month, quarter = int(m[1]), m[2], m[3]
    _check_year(year, "period")
    if month:
        return "month", [date(year, int(month), 1)]
    if quarter:
        first = 3 * (int(quarter) - 1) + 1
        return "quarter", [date(year, first + k, 1) for k in range(3)]
    return "year", [date(year, k, 1) for k in range(1, 13)]


def rates(source: str, counts: dict[str, int]) -> dict[str, float]:
    return {name: round(counts[num] / counts[den], 6)
            for name, (num, den) in RATES[source].items() if counts.get(den)}


def published_counts(source: str, counts: dict[str, int]) -> dict[str, int]:
    return {name: int(counts.get(name, 0)) for name in COUNTS[source]}


def with_rates(source: str, counts: dict[str, int]) -> dict:
    """One source's counts with the rates they give: the shape every metrics answer uses."""
    return {"counts": counts, "metrics": rates(source, counts)}


def unit_ranking(rows: list[tuple[str, str, dict[str, int]]]) -> tuple[list[dict], dict]:
    """(source, unit, counts) rows -> the units, most records first (then by code), and their total per source.
    The total is what the district sees when every unit is listed, so it is added up from the same rows."""
    per_unit: dict[str, dict[str, dict[str, int]]] = {}
    total: dict[str, dict[str, int]] = {}
    for source, unit, counts in rows:
        per_unit.setdefault(unit, {})[source] = counts
        into = total.setdefault(source, dict.fromkeys(counts, 0))
        for name, value in counts.items():
            into[name] += value
    units = [{"unit": unit, "records": sum(c["records"] for c in sources.values()),
              "sources": {s: with_rates(s, c) for s, c in sorted(sources.items())}}
             for unit, sources in per_unit.items()]
    units.sort(key=lambda u: (-u["records"], u["unit"]))
    return units, {"units": len(units), "records": sum(c["records"] for c in total.values()),
                   "sources": {s: with_rates(s, c) for s, c in sorted(total.items())}}


def topic_ranking(counts: dict[str, dict[str, int]], links: dict[str, list[dict]]) -> tuple[list[dict], dict]:
    """Hotline categories, most orders first (then by name), each with its linked targets; a linked category without
    orders in the period is listed with zeros. The total adds up the categories' orders."""
    zero = dict.fromkeys(COUNTERS, 0)
    topics = []
    for topic in counts.keys() | links.keys():
        c = counts.get(topic, zero)
        topics.append({"topic": topic, "orders": c["records"], **with_rates("hotline", c),
                       "targets": links.get(topic, [])})
    topics.sort(key=lambda t: (-t["orders"], t["topic"]))
    total = {name: sum(c[name] for c in counts.values()) for name in COUNTERS}
    return topics, {"topics": len(counts), "orders": total["records"], **with_rates("hotline", total)}


def month_series(year: int, by_month: dict[date, dict[str, int]]) -> list[dict]:
    """Twelve months of one hotline topic (a month without orders is zeros, its rates left out)."""
    series = []
    for month in range(1, 13):
        counts = by_month.get(date(year, month, 1)) or dict.fromkeys(COUNTERS, 0)
        metrics = rates("hotline", counts)
        series.append({"month": f"{year}-{month:02d}", "orders": counts["records"],
                       "satisfaction_rate": metrics.get("satisfaction_rate"),
                       "resolution_rate": metrics.get("resolution_rate"), "counts": counts, "metrics": metrics})
    return series


# The query values of the metrics routes, each refused with the field it came from.
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_UNITS = 500
MAX_UNIT_CODE = 64
MAX_TOPIC = 200


def _refuse(field: str, message: str, code: str) -> Invalid:
    return Invalid(message, code=code, details=[{"field": field, "message": message}])


def _check_year(year: int, field: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _refuse(field, f"年份应在 {MIN_YEAR} 到 {MAX_YEAR} 之间", f"{field}_invalid")


def parse_year(value: str | None) -> int:
    if value is None or not re.fullmatch(r"\d{4}", value):
        raise _refuse("year", "年份应为四位数字，如 2026", "year_invalid")
    _check_year(int(value), "year")
    return int(value)


def parse_source(value: str | None) -> str | None:
    """None or one of the sources; 'hotline', 'service_window' or 'three_centers'."""
    if value is None or value == "":
        return None
    if value not in RATES:
        raise _refuse("source", f"来源应为 {'、'.join(RATES)} 之一", "source_invalid")
    return value


def parse_units(value: str | None) -> list[str] | None:
    """'U-1,U-2' -> ['U-1', 'U-2'] (in order, once each); None or '' -> None (every unit)."""
    if value is None or value.strip() == "":
        return None
    units = list(dict.fromkeys(u.strip() for u in value.split(",")))
    if any(not u or len(u) > MAX_UNIT_CODE or "\x00" in u for u in units):
        raise _refuse("units", f"单位编码不能为空、不超过 {MAX_UNIT_CODE} 个字符且不含 NUL 字符，多个单位用英文逗号分隔",
                      "units_invalid")
    if len(units) > MAX_UNITS:
        raise _refuse("units", f"一次最多查询 {MAX_UNITS} 个单位", "units_invalid")
    return units


def check_code(value: str, field: str, max_len: int, what: str) -> str:
    """A code or name from the URL: not blank, not too long, no NUL (PostgreSQL text cannot hold it)."""
    if not value.strip() or len(value) > max_len or "\x00" in value:
        raise _refuse(field, f"{what}不能为空、不超过 {max_len} 个字符且不含 NUL 字符", f"{field}_invalid")
    return value


def check_topic(topic: str) -> str:
    return check_code(topic, "topic", MAX_TOPIC, "诉求类别")

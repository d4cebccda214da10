"""Objective metrics from running counts: periods (month / quarter / year) and the rates each source defines.
A rate whose denominator is zero is left out (no data is not 0%)."""
import re
from datetime import date

from bihuan_shared.web.errors import Invalid

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


def parse_period(period: str) -> tuple[str, list[date]]:
    """'2026-03' -> month, '2026-Q1' -> quarter, '2026' -> year; with the months it spans."""
    m = _PERIOD.match(period or "")
    if m is None:
        raise Invalid("期间格式应为 2026-03、2026-Q1 或 2026", code="period_invalid",
                      details=[{"field": "period", "message": "格式错误"}])
    year, month, quarter = int(m[1]), m[2], m[3]
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

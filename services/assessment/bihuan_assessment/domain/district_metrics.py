"""A district's objective metrics for its city's scheme: its scope's totals, with the same definitions as a unit's.

Supervision publishes per unit the rates and the counts that are their denominators (records, closed, rated); the
numerator of a rate is recovered from rate × denominator (rates carry 6 decimals, so this is exact below a million
records) and summed, then the district's rate is the summed numerator over the summed denominator. A rate whose
denominator supervision does not publish (e.g. on_time_sign_in_rate over sign_in_due) is left out: averaging the
units' rates would weigh a unit of 3 orders like one of 3,000."""
from collections import defaultdict

from bihuan_assessment.domain.inputs import MetricIn

# rate -> the published count it is a share of; mirrors supervision's definitions (bihuan_supervision.domain.metrics)
DENOMINATORS: dict[str, dict[str, str]] = {
    "hotline": {"on_time_close_rate": "closed", "resolution_rate": "closed", "satisfaction_rate": "rated",
                "repeat_call_rate": "records"},
    "three_centers": {"timeliness_rate": "closed", "resolution_rate": "closed"},
    "service_window": {},
}
COUNTS = {"hotline": ("records", "closed", "rated", "repeats"),
          "three_centers": ("records", "closed", "closed_on_time"),
          "service_window": ("records", "satisfied", "bad_reviews")}


def district_totals(district: str, rows: list[MetricIn]) -> list[MetricIn]:
    """The district's rows, one per (source, period): its units' rows of that source and period added up."""
    groups: dict[tuple[str, str, str], list[MetricIn]] = defaultdict(list)
    for r in rows:
        if r.source in DENOMINATORS:
            groups[(r.source, r.period, r.period_kind)].append(r)
    out = []
    for (source, period, kind), members in sorted(groups.items()):
        counts = {name: sum(m.metrics.get(name, 0.0) for m in members) for name in COUNTS[source]}
        metrics = dict(counts)
        for rate, den in DENOMINATORS[source].items():
            parts = [m for m in members if rate in m.metrics and den in m.metrics]
            total = sum(m.metrics[den] for m in parts)
            if parts and total > 0:
                metrics[rate] = sum(round(m.metrics[rate] * m.metrics[den]) for m in parts) / total
        out.append(MetricIn(district, period, kind, source, metrics, members[0].origin,
                            tuple(m.origin for m in members)))
    return out

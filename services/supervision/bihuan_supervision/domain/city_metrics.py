"""A city's metrics: its districts' counts added up, with the same definitions as a district's.

A rate of the city is recomputed from the summed counts (a district with ten times the orders weighs ten times),
never an average of the districts' rates; each district's figures are exactly what the district itself is answered
(the same unit_ranking over the same rows), and the city's total is unit_ranking over all of them."""
from bihuan_supervision.domain.feeds.common import COUNTERS
from bihuan_supervision.domain.metrics import unit_ranking, with_rates

Row = tuple[str, str, str, dict[str, int]]  # (district, source, unit, counts)


def city_unit_ranking(rows: list[Row], districts: list[str], names: dict[str, str]
                      ) -> tuple[list[dict], dict, list[dict]]:
    """(units of every district, each naming its district, most records first; the city's total; one entry per
    district, in code order, with its total, zeros for a district without data)."""
    per: dict[str, list[tuple[str, str, dict[str, int]]]] = {d: [] for d in districts}
    for district, source, unit, counts in rows:
        per.setdefault(district, []).append((source, unit, counts))
    units, breakdown = [], []
    for district in districts:
        ranked, total = unit_ranking(per[district])
        units.extend({**u, "district": district} for u in ranked)
        breakdown.append({"district": district, "name": names.get(district), **total})
    units.sort(key=lambda u: (-u["records"], u["district"], u["unit"]))
    # a unit code may exist in several districts: the city's total counts (district, unit) pairs
    _, city = unit_ranking([(source, (district, unit), counts) for district, source, unit, counts in rows])
    return units, city, breakdown


def district_topic_totals(by_district: dict[str, dict[str, int]], districts: list[str],
                          names: dict[str, str]) -> list[dict]:
    """Each district's hotline orders and rates over every category (zeros for a district without orders)."""
    zero = dict.fromkeys(COUNTERS, 0)
    return [{"district": d, "name": names.get(d), "orders": by_district.get(d, zero)["records"],
             **with_rates("hotline", by_district.get(d, zero))} for d in districts]

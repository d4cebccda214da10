"""The city of the city-tier benchmarks (issue 15's scale): 16 districts of 60 units, 20,000 targets in all, of which
200 city tasks each decomposed to all 16 districts (3,200 linked district targets). Plain rows, generated the same
way for every service's benchmark so that their figures describe one city; each service writes them into its own
tables."""
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

CITY, DISTRICTS, UNITS_PER_DISTRICT, TOTAL_TARGETS, CITY_TASKS, MILESTONES = "benchcity", 16, 60, 20_000, 200, 4


@dataclass
class BenchTarget:
    id: str
    scope: str
    code: str
    lead_unit: str
    share: float | None = None            # a linked target's share of its city task
    origin: str | None = None             # the city task a linked target came from
    assignments: list[dict] = field(default_factory=list)  # a city task's shares
    dues: list[date] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)  # reported cumulative values per milestone (None: not)


def districts() -> list[str]:
    return [f"{CITY}-d{i:02d}" for i in range(DISTRICTS)]


def city_targets(year: int, seed: int = 15) -> list[BenchTarget]:
    """City tasks first, then their linked targets, then each district's own targets; a third of the milestones
    due so far are reported, some late (overdue)."""
    rnd = random.Random(seed)
    start = date(year, 3, 31)
    dues = [start + timedelta(days=91 * k) for k in range(MILESTONES)]
    out: list[BenchTarget] = []
    for t in range(CITY_TASKS):
        task = BenchTarget(uuid.uuid4().hex, CITY, f"SJ-{t:03d}", "SJ-U00", dues=dues, values=[None] * MILESTONES)
        task.assignments = [{"district": d, "share_value": 10.0, "deliverable": None} for d in districts()]
        out.append(task)
    for task in list(out):
        for d in districts():
            reported = [round(rnd.uniform(0, 10), 2) if rnd.random() < 0.6 else None, None, None, None]
            out.append(BenchTarget(uuid.uuid4().hex, d, f"市-{task.code}", f"{d}-U{rnd.randrange(60):02d}",
                                   share=10.0, origin=task.id, dues=dues, values=reported))
    own = TOTAL_TARGETS - len(out)
    for i in range(own):
        d = districts()[i % DISTRICTS]
        reported = [round(rnd.uniform(0, 100), 2) if rnd.random() < 0.5 else None, None, None, None]
        out.append(BenchTarget(uuid.uuid4().hex, d, f"Q-{i:05d}", f"{d}-U{rnd.randrange(60):02d}", dues=dues,
                               values=reported))
    return out

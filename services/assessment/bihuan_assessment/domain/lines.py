"""A line of a scorecard: points, the scheme rule that produced them, a sentence for the unit, and the source facts."""
from dataclasses import asdict, dataclass, field


@dataclass
class Line:
    component: str  # component key, or "bonus" / "penalty" / "veto" / "pass_fail"
    rule: str  # e.g. "components.completion.milestone_points", "items.safety"
    points: float
    text: str
    sources: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["points"] = round(self.points, 4)
        return d

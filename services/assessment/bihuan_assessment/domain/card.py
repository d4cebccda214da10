"""A unit's scorecard as the engine produces it."""
from dataclasses import dataclass, field

from bihuan_assessment.domain.lines import Line


@dataclass
class Card:
    unit: str
    name: str
    group: str
    total: float = 0.0
    passed: bool | None = None  # pass/fail mode only
    vetoed: bool = False
    components: dict[str, dict] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    red_targets: list[str] = field(default_factory=list)
    rank: int = 0
    grade: str = ""
    bottom: bool = False
    grade_decision: dict | None = None  # how a tie on a quota's boundary was graded (grading.py), else None
    proposals: list[dict] = field(default_factory=list)  # accountability the scheme's rules call for

    def as_dict(self) -> dict:
        return {"unit": self.unit, "name": self.name, "group": self.group, "total": self.total, "passed": self.passed,
                "vetoed": self.vetoed, "rank": self.rank, "grade": self.grade, "bottom": self.bottom,
                "grade_decision": self.grade_decision, "components": self.components, "red_targets": self.red_targets,
                "proposals": self.proposals,
                "lines": [line.as_dict() for line in self.lines]}

"""Lag reasons (滞后原因): objective ones the unit could not control, or subjective ones it owns. Pure rules."""
from bihuan_execution.domain.status import DONE_LATE, DUE_SOON, OVERDUE

OBJECTIVE_CATEGORIES = ("policy_change", "external_approval", "funding", "weather", "other")

# Overdue, at risk (due soon and not done), or done late (explained after the fact).
EXPLAINABLE = frozenset({OVERDUE, DUE_SOON, DONE_LATE})


def may_explain(status: str) -> bool:
    return status in EXPLAINABLE

"""A cooperation request's life: requested -> confirmed -> delivered -> rated. Pure rules."""
from datetime import date

REQUESTED, CONFIRMED, DELIVERED, RATED = "requested", "confirmed", "delivered", "rated"


def may_rate(status: str, due_date: date | None, today: date) -> bool:
    """The lead unit rates a delivery, or the absence of one once the request's due date has passed."""
    if status == DELIVERED:
        return True
    return status in (REQUESTED, CONFIRMED) and due_date is not None and today > due_date

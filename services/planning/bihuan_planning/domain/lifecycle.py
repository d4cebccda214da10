"""A target's lifecycle: draft → submitted → approved → published; after that only adjustments change it."""
from enum import StrEnum


class TargetStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


# action -> (allowed from, leads to)
TRANSITIONS: dict[str, tuple[frozenset[TargetStatus], TargetStatus]] = {
    "submit": (frozenset({TargetStatus.DRAFT}), TargetStatus.SUBMITTED),
    "approve": (frozenset({TargetStatus.SUBMITTED}), TargetStatus.APPROVED),
    "reject": (frozenset({TargetStatus.SUBMITTED}), TargetStatus.DRAFT),
    "publish": (frozenset({TargetStatus.APPROVED}), TargetStatus.PUBLISHED),
}

EDITABLE = frozenset({TargetStatus.DRAFT})


class TransitionRefused(Exception):
    pass


def next_status(current: TargetStatus, action: str) -> TargetStatus:
    allowed_from, to = TRANSITIONS[action]
    if current not in allowed_from:
        raise TransitionRefused(f"目标当前状态为 {current.value}，不能执行 {action}")
    return to

"""How large one event may be. The producer refuses to stage a bigger one (in its own transaction, so nothing
oversized ever leaves) and every consumer refuses one again before parsing it: the broker is reachable by more than
our relays, and a 30 MB body parsed, validated and applied holds a worker for as long as it takes."""

# Our largest events (a target with its milestones, a year's published scores) are tens of kilobytes.
MAX_MESSAGE_BYTES = 1 << 20


class EventTooLarge(ValueError):
    """An event whose serialised body is over the cap; raised where it is staged, so its transaction rolls back."""


def oversize_reason(size: int, limit: int) -> str | None:
    """Why a body of `size` bytes is refused under `limit`, or None when it fits."""
    if size <= limit:
        return None
    return f"message too large: {size} bytes, over the cap of {limit} bytes (not parsed)"

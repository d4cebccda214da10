"""An event applies only to records of the scope its envelope claims. Handlers that touch a stored record keyed by
id (a target, a milestone, a matter, a run) call require_same_scope with the scope stored on it: an event labelled
with one district for another district's record is refused for good (dead-lettered with the reason), never applied.
A record the event creates takes the envelope's scope, so it cannot disagree."""
from bihuan_shared.bus.consumer import PermanentFailure
from bihuan_shared.events import Envelope


class ScopeMismatch(PermanentFailure):
    """The envelope's scope is not the scope of the record the event is about."""


def require_same_scope(envelope: Envelope, stored_scope: str | None, what: str) -> None:
    """Refuse the event unless the record it touches (`what`, e.g. "target T-1") belongs to the envelope's scope.
    None means the record is not stored yet: there is nothing to disagree with."""
    if stored_scope is not None and envelope.scope != stored_scope:
        raise ScopeMismatch(f"{envelope.event_type} {envelope.event_id} is labelled scope {envelope.scope!r} "
                            f"but {what} belongs to scope {stored_scope!r}")


def require_same_record(envelope: Envelope, stored: str, claimed: str, what: str) -> None:
    """Refuse an event whose payload names a parent (e.g. the target of a milestone) other than the stored one:
    the scope check would otherwise be made against the wrong record."""
    if stored != claimed:
        raise ScopeMismatch(f"{envelope.event_type} {envelope.event_id} names {claimed!r} but {what} belongs to "
                            f"{stored!r}")

from bihuan_shared.events.envelope import Envelope
from bihuan_shared.events.registry import REGISTRY, EventContract, UnknownEventType, event_contract, new_event

__all__ = ["Envelope", "REGISTRY", "EventContract", "UnknownEventType", "event_contract", "new_event"]

"""Registry of event contracts: every producer and consumer validates payloads against the same schema."""
import re
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from pydantic import BaseModel, ValidationError

from bihuan_shared.events.envelope import HEADER_FIELDS, Envelope, envelope_carrying
from bihuan_shared.logging import correlation_id

M = TypeVar("M", bound=type[BaseModel])

# Where to_bytes puts them: right after event_id. Only a hint for picking the contract before parsing; the parsed
# headers are checked against it.
_KEY_HINT = re.compile(rb'"event_type"\s*:\s*"([a-z_.]{1,200})"\s*,\s*"event_version"\s*:\s*([0-9]{1,9})[,}\s]')


class UnknownEventType(LookupError):
    pass


@dataclass(frozen=True)
class EventContract:
    event_type: str
    version: int
    model: type[BaseModel]
    producer: str
    summary: str


class Registry:
    def __init__(self) -> None:
        self._contracts: dict[tuple[str, int], EventContract] = {}
        self._by_model: dict[type[BaseModel], EventContract] = {}
        self._carrying: dict[tuple[str, int], type[Envelope]] = {}  # built on first use, per (type, version)

    def add(self, contract: EventContract) -> None:
        key = (contract.event_type, contract.version)
        if key in self._contracts and self._contracts[key].model is not contract.model:
            raise ValueError(f"event contract {key} registered twice")
        self._contracts[key] = contract
        self._by_model[contract.model] = contract

    def contract_for(self, model: type[BaseModel]) -> EventContract:
        return self._by_model[model]

    def get(self, event_type: str, version: int) -> EventContract:
        try:
            return self._contracts[(event_type, version)]
        except KeyError:
            raise UnknownEventType(f"no contract for {event_type} v{version}") from None

    def parse(self, envelope: Envelope) -> BaseModel:
        """Validate the payload of an envelope against its registered contract."""
        return self.get(envelope.event_type, envelope.event_version).model.model_validate(envelope.payload)

    def carrying(self, event_type: str, version: int) -> type[Envelope]:
        """The envelope model whose payload is the contract of (event_type, version), built once."""
        key = (event_type, version)
        model = self._carrying.get(key)
        if model is None:
            model = self._carrying[key] = envelope_carrying(self.get(event_type, version).model)
        return model

    def decode(self, body: bytes) -> Envelope:
        """Parse and validate a message body: headers and payload in one pass; the returned envelope's payload is
        the contract model. Raises exactly what Envelope.from_bytes + parse raise, with the same messages: any
        body the one-pass route does not accept is decoded again the two-step way, which then reports (or, for a
        body whose headers are not where to_bytes puts them, accepts) it."""
        hint = _KEY_HINT.search(body)
        if hint is not None:
            key = (hint[1].decode(), int(hint[2]))
            model = self._carrying.get(key) or (self.carrying(*key) if key in self._contracts else None)
            if model is not None:
                try:
                    envelope = model.model_validate_json(body)
                except ValidationError:
                    pass
                else:
                    if (envelope.event_type, envelope.event_version) == key:
                        return envelope
        envelope = Envelope.from_bytes(body)
        payload = self.parse(envelope)
        model = self.carrying(envelope.event_type, envelope.event_version)
        return model.model_construct(**{name: getattr(envelope, name) for name in HEADER_FIELDS}, payload=payload)

    def all(self) -> list[EventContract]:
        return sorted(self._contracts.values(), key=lambda c: (c.event_type, c.version))


REGISTRY = Registry()


def event_contract(event_type: str, version: int, producer: str, summary: str = "") -> Callable[[M], M]:
    """Class decorator declaring a pydantic payload model as the contract of an event type and version."""

    def register(model: M) -> M:
        REGISTRY.add(EventContract(event_type, version, model, producer, summary or (model.__doc__ or "").strip()))
        return model

    return register


def new_event(
    payload: BaseModel,
    *,
    scope: str,
    aggregate_id: str,
    sequence: int,
    causation_id: str | None = None,
    correlation: str | None = None,
    **extra: Any,
) -> Envelope:
    """Wrap a registered payload model in an envelope; the correlation id follows the current request."""
    contract = REGISTRY.contract_for(type(payload))
    return Envelope(
        event_type=contract.event_type,
        event_version=contract.version,
        producer=contract.producer,
        scope=scope,
        aggregate_id=aggregate_id,
        sequence=sequence,
        correlation_id=correlation or correlation_id.get(),
        causation_id=causation_id,
        payload=payload.model_dump(mode="json"),
        **extra,
    )

"""Registry of event contracts: every producer and consumer validates payloads against the same schema."""
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from pydantic import BaseModel

from bihuan_shared.events.envelope import Envelope
from bihuan_shared.logging import correlation_id

M = TypeVar("M", bound=type[BaseModel])


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

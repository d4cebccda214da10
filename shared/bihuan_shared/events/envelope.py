"""The one envelope every event travels in. event_id is also the AMQP message_id and the inbox key."""
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+){2,}$", description="routing key, past tense")
    event_version: int = Field(ge=1)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str = Field(min_length=1)
    correlation_id: str | None = None
    causation_id: str | None = None
    scope: str = Field(min_length=1, description="district / tenant the fact belongs to")
    aggregate_id: str = Field(min_length=1)
    sequence: int = Field(ge=0, description="per-aggregate order; read models ignore stale sequences")
    payload: dict[str, Any]

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))

    @classmethod
    def from_bytes(cls, body: bytes) -> "Envelope":
        return cls.model_validate_json(body)

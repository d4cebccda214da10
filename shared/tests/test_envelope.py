"""The envelope and the contract registry: what every producer and consumer agrees on."""
import uuid

import pytest
from pydantic import BaseModel, ValidationError

from bihuan_shared.contracts.execution import MilestoneCompleted
from bihuan_shared.contracts.planning import TargetPublished
from bihuan_shared.events import REGISTRY, Envelope, UnknownEventType, event_contract, new_event


@event_contract("test.widget.created", 1, producer="test")
class WidgetCreated(BaseModel):
    widget_id: str
    size: int


def test_new_event_fills_envelope_from_contract():
    env = new_event(WidgetCreated(widget_id="w1", size=3), scope="xuhui", aggregate_id="w1", sequence=1)
    assert env.event_type == "test.widget.created" and env.event_version == 1 and env.producer == "test"
    back = Envelope.from_bytes(env.to_bytes())
    assert back == env
    assert REGISTRY.parse(back) == WidgetCreated(widget_id="w1", size=3)


def test_payload_is_validated_against_its_contract():
    env = new_event(WidgetCreated(widget_id="w1", size=3), scope="xuhui", aggregate_id="w1", sequence=1)
    broken = env.model_copy(update={"payload": {"widget_id": "w1", "size": "huge"}})
    with pytest.raises(ValidationError) as exc:
        REGISTRY.parse(broken)
    assert "size" in str(exc.value)


def test_unknown_type_or_version_is_refused():
    env = Envelope(event_type="test.widget.created", event_version=9, producer="test", scope="s", aggregate_id="a",
                   sequence=0, payload={})
    with pytest.raises(UnknownEventType):
        REGISTRY.parse(env)


@pytest.mark.parametrize("field,value", [("event_type", "WidgetCreated"), ("sequence", -1), ("scope", ""),
                                         ("event_version", 0)])
def test_envelope_rejects_bad_headers(field, value):
    data = dict(event_id=str(uuid.uuid4()), event_type="test.widget.created", event_version=1, producer="t",
                scope="s", aggregate_id="a", sequence=0, payload={})
    data[field] = value
    with pytest.raises(ValidationError):
        Envelope.model_validate(data)


def test_catalogue_has_the_loop_events():
    types = {c.event_type for c in REGISTRY.all()}
    assert {"planning.target.published", "planning.target.adjusted", "execution.progress.reported",
            "execution.milestone.completed", "execution.milestone.overdue"} <= types
    assert REGISTRY.contract_for(TargetPublished).producer == "planning"
    assert REGISTRY.contract_for(MilestoneCompleted).producer == "execution"

"""docs/asyncapi.yaml is generated from the contract registry: it must match it (regenerate with `make asyncapi`),
be a coherent AsyncAPI 3.0 document, and its message schemas must accept the envelopes the kit really produces."""
import re
import uuid
from pathlib import Path

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

import bihuan_shared.contracts  # noqa: F401  (registers every contract)
from bihuan_shared.contracts.planning import TargetCancelled
from bihuan_shared.events import REGISTRY, new_event
from bihuan_shared.events.asyncapi import build_document, catalogue, main, message_key, render
from bihuan_shared.events.registry import EventContract, Registry

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


@pytest.fixture(scope="module")
def document() -> dict:
    return build_document()


def test_committed_document_is_up_to_date_with_the_contracts():
    assert COMMITTED.read_text(encoding="utf-8") == render(build_document()), (
        "docs/asyncapi.yaml differs from the event contracts: run `make asyncapi` and commit the result")


def test_check_mode_fails_on_a_stale_file(tmp_path):
    stale = tmp_path / "asyncapi.yaml"
    stale.write_text(COMMITTED.read_text(encoding="utf-8").replace("planning.target.published", "x.y.z"))
    assert main(["--check", "--output", str(stale)]) == 1
    assert main(["--output", str(stale)]) == 0 and main(["--check", "--output", str(stale)]) == 0


def test_every_contract_version_is_a_message_on_its_routing_key_channel(document):
    for contract in catalogue().all():
        channel = document["channels"][contract.event_type]
        assert channel["address"] == contract.event_type
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "bihuan.events"
        assert message_key(contract) in channel["messages"]
        message = document["components"]["messages"][message_key(contract)]
        assert message["x-producer"] == contract.producer
    assert len(document["components"]["messages"]) == len(catalogue().all())


def _resolve(document: dict, ref: str):
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_document_is_coherent_asyncapi_3(document):
    """The AsyncAPI 3.0 rules a generator can break (no offline validator of the spec is packaged on PyPI)."""
    assert document["asyncapi"] == "3.0.0"
    for ref in _refs(document):
        assert ref.startswith("#/"), ref
        _resolve(document, ref)  # raises KeyError when dangling
    for section, entries in document["components"].items():
        assert all(re.fullmatch(r"[a-zA-Z0-9.\-_]+", key) for key in entries), section
    for name, operation in document["operations"].items():
        assert operation["action"] in {"send", "receive"}
        channel_ref = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(channel_ref + "/messages/"), (name, message)


def _validator(document: dict, contract: EventContract) -> jsonschema.Draft202012Validator:
    schema = {**document, "$ref": f"#/components/messages/{message_key(contract)}/payload"}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_message_schema_accepts_a_real_envelope_and_rejects_wrong_ones(document):
    contract = REGISTRY.contract_for(TargetCancelled)
    validator = _validator(document, contract)
    event = new_event(TargetCancelled(target_id="T-1", version=2, adjustment_id="A-1", reason="年度计划调整"),
                      scope="demo", aggregate_id="T-1", sequence=3)
    body = event.model_dump(mode="json")
    validator.validate(body)
    without_field = {**body, "payload": {k: v for k, v in body["payload"].items() if k != "reason"}}
    for wrong in (without_field, {**body, "event_type": "planning.target.published"}, {**body, "event_version": 2},
                  {**body, "sequence": -1}, {**body, "event_id": str(uuid.uuid4()), "unexpected": 1}):
        assert not validator.is_valid(wrong), wrong


def test_several_versions_of_one_event_share_a_channel():
    class V1(BaseModel):
        a: int

    class V2(BaseModel):
        a: int
        b: str

    registry = Registry()
    registry.add(EventContract("demo.thing.happened", 1, V1, "demo", "v1"))
    registry.add(EventContract("demo.thing.happened", 2, V2, "demo", "v2"))
    document = build_document(registry)
    assert list(document["channels"]["demo.thing.happened"]["messages"]) == ["demo.thing.happened.v1",
                                                                              "demo.thing.happened.v2"]
    assert len(document["operations"]["publish.demo.thing.happened"]["messages"]) == 2
    yaml.safe_load(render(document))

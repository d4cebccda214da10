"""REGISTRY.decode, the consumers' one-pass parse, against the two-step parse it replaced (Envelope.from_bytes, then
REGISTRY.parse): the same envelopes accepted, the same payloads, and the same errors with the same text, so a bad
message reaches the dead-letter queue with the reason it always had. And to_bytes writes the same bytes as before."""
import json
import uuid
from datetime import date, datetime, timedelta

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bihuan_shared.contracts.execution import MilestoneCompleted, ProgressReported
from bihuan_shared.contracts.planning import Indicator, MilestoneSnapshot, TargetPublished
from bihuan_shared.events import REGISTRY, Envelope, UnknownEventType, new_event
from bihuan_shared.events.envelope import HEADER_FIELDS


def two_step(body: bytes):
    envelope = Envelope.from_bytes(body)
    return envelope, REGISTRY.parse(envelope)


def outcome(parse, body: bytes):
    """(headers, payload) or (error class, error text) of one way of parsing."""
    try:
        result = parse(body)
    except (ValidationError, UnknownEventType, ValueError) as exc:
        return type(exc), str(exc)
    envelope, payload = result if isinstance(result, tuple) else (result, result.payload)
    return {name: getattr(envelope, name) for name in HEADER_FIELDS}, payload


def target_published(milestones: int = 12) -> Envelope:
    target_id = uuid.uuid4().hex
    return new_event(TargetPublished(
        target_id=target_id, book_id="xuhui-2026", year=2026, version=1, code="XH-1", title="城市更新", category="key_work",
        lead_unit="U-1", cooperating_units=["U-2"], indicator=Indicator(kind="quantitative", target_value=12),
        milestones=[MilestoneSnapshot(milestone_id=uuid.uuid4().hex, seq=m + 1, due_date=date(2026, 1, 1) + timedelta(30 * m),
                                      expected_value=m + 1) for m in range(milestones)]),
        scope="xuhui", aggregate_id=target_id, sequence=1, correlation="c-1")


def pipeline_events() -> list[Envelope]:
    return [target_published(), new_event(ProgressReported(
        report_id="r1", target_id="t1", milestone_id="m1", unit="U-1", actual_value=3.5, reported_by="u",
        reported_at=datetime(2026, 3, 1, 8, 0)), scope="xuhui", aggregate_id="t1", sequence=2), new_event(
        MilestoneCompleted(target_id="t1", milestone_id="m1", unit="U-1", due_date=date(2026, 3, 1),
                           completed_on=date(2026, 2, 27), timeliness="early", report_id="r1"),
        scope="xuhui", aggregate_id="t1", sequence=3)]


@pytest.mark.parametrize("envelope", pipeline_events(), ids=lambda e: e.event_type)
def test_decode_gives_the_envelope_and_its_contract_model(envelope):
    decoded = REGISTRY.decode(envelope.to_bytes())
    contract = REGISTRY.get(envelope.event_type, envelope.event_version).model
    assert type(decoded.payload) is contract and decoded.payload == contract.model_validate(envelope.payload)
    assert outcome(REGISTRY.decode, envelope.to_bytes()) == outcome(two_step, envelope.to_bytes())
    assert isinstance(decoded, Envelope) and decoded.event_id == envelope.event_id


def test_the_envelope_model_per_contract_is_built_once():
    first = REGISTRY.carrying("planning.target.published", 1)
    assert REGISTRY.carrying("planning.target.published", 1) is first
    assert first.model_fields["payload"].annotation is TargetPublished
    with pytest.raises(UnknownEventType, match="v99"):
        REGISTRY.carrying("planning.target.published", 99)


def test_an_unknown_version_or_type_is_still_refused():
    good = target_published()
    for update in ({"event_version": 99}, {"event_type": "planning.target.vanished"}):
        body = good.model_copy(update=update).to_bytes()
        with pytest.raises(UnknownEventType) as exc:
            REGISTRY.decode(body)
        assert outcome(REGISTRY.decode, body) == outcome(two_step, body)
    assert "no contract for planning.target.published v99" in str(
        pytest.raises(UnknownEventType, REGISTRY.decode, good.model_copy(update={"event_version": 99}).to_bytes()).value)


def test_a_payload_breaking_its_contract_is_the_same_clear_error():
    good = target_published()
    payload = {**good.payload, "milestones": [{**good.payload["milestones"][0], "seq": 0}], "year": "明年"}
    body = good.model_copy(update={"payload": payload}).to_bytes()
    with pytest.raises(ValidationError) as exc:
        REGISTRY.decode(body)
    assert "year" in str(exc.value) and "milestones.0.seq" in str(exc.value) and "TargetPublished" in str(exc.value)
    assert outcome(REGISTRY.decode, body) == outcome(two_step, body)


@pytest.mark.parametrize("body", [b"\xff\xfe not json", b'{"hello": "world"}', b"", b"[]", b"null",
                                  b'{"event_type":"planning.target.published","event_version":1}'])
def test_a_body_that_is_no_envelope_is_the_same_error(body):
    assert isinstance(outcome(REGISTRY.decode, body)[0], type)
    assert outcome(REGISTRY.decode, body) == outcome(two_step, body)


def test_headers_written_another_way_are_still_read():
    """Another producer's JSON (spaces, other key order) takes the two-step route and gives the same result."""
    good = target_published()
    data = good.model_dump(mode="json")
    for body in (json.dumps(data).encode(), json.dumps(dict(reversed(list(data.items()))), indent=2).encode()):
        decoded = REGISTRY.decode(body)
        assert type(decoded.payload) is TargetPublished
        assert outcome(REGISTRY.decode, body) == outcome(two_step, body)


def test_a_misleading_hint_does_not_pick_the_contract():
    """The first event_type/event_version in the body is only a hint: a repeated key (the last one counts in JSON
    parsing) or a payload field shaped like the headers cannot make a payload validate against the wrong contract."""
    good = pipeline_events()[2]  # milestone completed
    text = good.to_bytes().decode()
    decoys = [
        text.replace('{"event_id"', '{"event_type":"execution.milestone.overdue","event_version":1,"event_id"', 1),
        text.replace('"payload":{', '"payload":{"event_type":"execution.milestone.overdue","event_version":1,', 1),
        text[:-1] + ',"event_type":"planning.target.published"}',
    ]
    for body in (d.encode() for d in decoys):
        assert outcome(REGISTRY.decode, body) == outcome(two_step, body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["2026-02-30", "2026-03-01", "2026-03-01T08:00:00Z", "early", "1e3", "", "12", "key_work"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.integers(0, 2), field=st.integers(0, 40), value=json_values, drop=st.booleans())
def test_decode_agrees_with_the_two_step_parse_on_any_payload(kind, field, value, drop):
    good = pipeline_events()[kind]
    payload = dict(good.payload)
    if kind == 0 and field % 3 == 0:  # reach into a milestone too
        payload["milestones"] = [{**payload["milestones"][0], "due_date": value}] + payload["milestones"][1:]
    name = list(payload)[field % len(payload)] if field < 30 else f"extra_{field}"
    if drop:
        payload.pop(name, None)
    else:
        payload[name] = value
    body = good.model_copy(update={"payload": payload}).to_bytes()
    assert outcome(REGISTRY.decode, body) == outcome(two_step, body)


@settings(max_examples=200, deadline=None)
@given(payload=st.dictionaries(st.text(max_size=8), json_values, max_size=5), scope=st.text(min_size=1, max_size=20))
def test_to_bytes_writes_the_same_bytes_as_before(payload, scope):
    envelope = Envelope(event_type="test.thing.done", event_version=1, producer="p", scope=scope, aggregate_id="a",
                        sequence=0, payload=payload)
    assert envelope.to_bytes() == orjson.dumps(envelope.model_dump(mode="json"))
    for event in pipeline_events():
        assert event.to_bytes() == orjson.dumps(event.model_dump(mode="json"))

"""The event catalogue as an AsyncAPI 3.0 document, generated from the contract registry (never written by hand).

`make asyncapi` writes docs/asyncapi.yaml; `python -m bihuan_shared.events.asyncapi --check` fails when the
committed file no longer matches the registry. One channel per event type (the routing key on the topic exchange
bihuan.events), one message per contract version; a message's payload is the whole envelope (what travels as the
AMQP body) with its `payload` field narrowed to the contract's pydantic schema."""
import argparse
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import models_json_schema

from bihuan_shared.bus.topology import DEAD_LETTER_EXCHANGE, EVENTS_EXCHANGE
from bihuan_shared.events.envelope import Envelope
from bihuan_shared.events.registry import REGISTRY, EventContract, Registry

DEFAULT_OUTPUT = Path("docs/asyncapi.yaml")
REF = "#/components/schemas/{model}"
AMQP_BINDING = "0.3.0"

DESCRIPTION = f"""\
Domain events of Bihuan (闭环), the target management loop: facts in the past tense, published by one service and \
kept by the others as their own read models.

Every event travels in the same JSON envelope (the AMQP body): `event_id` (also the AMQP message_id and the \
consumers' inbox key), `event_type` (the routing key), `event_version`, `occurred_at`, `producer`, `correlation_id`, \
`causation_id`, `scope` (district / tenant), `aggregate_id`, `sequence` (per aggregate; read models ignore stale \
ones) and `payload`, the versioned contract. Producers publish through their transactional outbox with publisher \
confirms, persistent, on the durable topic exchange `{EVENTS_EXCHANGE}`. Each consuming (service, purpose) owns a \
quorum queue `<service>.<purpose>` bound by routing key, with `<queue>.retry` for delayed retries and `<queue>.dlq` \
(through the exchange `{DEAD_LETTER_EXCHANGE}`) for messages that failed for good.

Contract rules: a released version only grows optional fields; anything else is a new version, published beside \
the old one until every consumer has moved.
"""

RETRY_HEADERS = {
    "type": "object",
    "description": "Set only on copies a consumer re-queued for retry or dead-lettered; first deliveries carry none.",
    "properties": {
        "x-bihuan-retries": {"type": "integer", "minimum": 1, "description": "retries already made"},
        "x-bihuan-failure-reason": {"type": "string", "description": "why the last attempt failed"},
        "x-bihuan-failed-at": {"type": "string", "format": "date-time"},
        "x-bihuan-routing-key": {"type": "string", "description": "original routing key of a dead-lettered copy"},
    },
}


def message_key(contract: EventContract) -> str:
    return f"{contract.event_type}.v{contract.version}"


def operation_key(contract: EventContract) -> str:
    return "publish." + contract.event_type


def _schemas(registry: Registry) -> tuple[dict[type, dict], dict[str, Any]]:
    models = [Envelope] + [c.model for c in registry.all()]
    refs, top = models_json_schema([(m, "validation") for m in dict.fromkeys(models)], ref_template=REF)
    return {model: ref for (model, _), ref in refs.items()}, top.get("$defs", {})


def _message(contract: EventContract, payload_ref: dict, envelope_ref: dict) -> dict[str, Any]:
    return {
        "name": contract.event_type,
        "title": f"{contract.model.__name__} v{contract.version}",
        "summary": contract.summary or contract.event_type,
        "contentType": "application/json",
        "correlationId": {"$ref": "#/components/correlationIds/correlation"},
        "headers": {"$ref": "#/components/schemas/RetryHeaders"},
        "payload": {
            "allOf": [
                envelope_ref,
                {
                    "type": "object",
                    "properties": {
                        "event_type": {"const": contract.event_type},
                        "event_version": {"const": contract.version},
                        "producer": {"const": contract.producer},
                        "payload": payload_ref,
                    },
                },
            ]
        },
        "bindings": {"amqp": {"messageType": contract.event_type, "bindingVersion": AMQP_BINDING}},
        "x-producer": contract.producer,
    }


def _channel(event_type: str, contracts: list[EventContract]) -> dict[str, Any]:
    return {
        "address": event_type,
        "title": event_type,
        "description": f"Routing key {event_type} on the topic exchange {EVENTS_EXCHANGE}.",
        "messages": {message_key(c): {"$ref": f"#/components/messages/{message_key(c)}"} for c in contracts},
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {"name": EVENTS_EXCHANGE, "type": "topic", "durable": True, "autoDelete": False,
                             "vhost": "/bihuan"},
                "bindingVersion": AMQP_BINDING,
            }
        },
    }


def _operation(event_type: str, contracts: list[EventContract]) -> dict[str, Any]:
    producer = contracts[0].producer
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{event_type}"},
        "summary": f"{producer} publishes {event_type} (through its outbox, with publisher confirms).",
        "messages": [{"$ref": f"#/channels/{event_type}/messages/{message_key(c)}"} for c in contracts],
        "bindings": {"amqp": {"deliveryMode": 2, "mandatory": False, "bindingVersion": AMQP_BINDING}},
        "tags": [{"name": producer}],
    }


def catalogue(registry: Registry = REGISTRY) -> Registry:
    """The released contracts, those declared in bihuan_shared.contracts: tests and benchmarks register contracts of
    their own in the same process, and those are not part of the catalogue."""
    released = Registry()
    for contract in registry.all():
        if contract.model.__module__.startswith("bihuan_shared.contracts."):
            released.add(contract)
    return released


def build_document(registry: Registry | None = None) -> dict[str, Any]:
    """The AsyncAPI document of every contract in the registry (default: the released catalogue)."""
    registry = registry if registry is not None else catalogue()
    refs, schemas = _schemas(registry)
    by_type: dict[str, list[EventContract]] = {}
    for contract in registry.all():
        by_type.setdefault(contract.event_type, []).append(contract)
    producers = sorted({c.producer for c in registry.all()})
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Bihuan 闭环 domain events",
            "version": version("bihuan-shared"),
            "description": DESCRIPTION,
            "tags": [{"name": p, "description": f"events the {p} service publishes"} for p in producers],
        },
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {
                "host": "rabbitmq:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "pathname": "/bihuan",
                "description": "The broker of a deployment; vhost bihuan (deploy/compose.yaml, deploy/k8s).",
            }
        },
        "channels": {t: _channel(t, cs) for t, cs in by_type.items()},
        "operations": {operation_key(cs[0]): _operation(t, cs) for t, cs in by_type.items()},
        "components": {
            "schemas": {**schemas, "RetryHeaders": RETRY_HEADERS},
            "messages": {message_key(c): _message(c, refs[c.model], refs[Envelope]) for c in registry.all()},
            "correlationIds": {
                "correlation": {
                    "description": "Follows a request across services; also the AMQP correlation_id property.",
                    "location": "$message.payload#/correlation_id",
                }
            },
        },
    }


class _Dumper(yaml.SafeDumper):
    """Multi-line text as literal blocks, so the descriptions read as written."""


_Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))


def render(document: dict[str, Any]) -> str:
    header = "# Generated by `make asyncapi` from bihuan_shared.contracts. Do not edit by hand.\n"
    return header + yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write (or check) the AsyncAPI document of the event catalogue.")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from the registry")
    args = parser.parse_args(argv)
    import bihuan_shared.contracts  # noqa: F401  (registers every contract)

    text = render(build_document())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date with the event contracts: run `make asyncapi`", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}: {len(catalogue().all())} contracts")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Prometheus metrics shared by every service; each process exposes them on /metrics."""
from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("bihuan_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram("bihuan_http_request_seconds", "HTTP request latency", ["service", "method", "route"])
EVENTS_PUBLISHED = Counter("bihuan_events_published_total", "Events published by the outbox relay", ["service"])
EVENTS_CONSUMED = Counter("bihuan_events_consumed_total", "Events handled", ["service", "event_type", "outcome"])
EVENTS_DEAD_LETTERED = Counter("bihuan_events_dead_lettered_total", "Messages sent to a dead-letter queue", ["service"])
HANDLER_LATENCY = Histogram("bihuan_event_handler_seconds", "Event handler latency", ["service", "event_type"])

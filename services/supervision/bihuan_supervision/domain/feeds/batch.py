"""Validating a batch: good rows kept (the newest version of each id), every bad record answered.

Records arrive either decoded (dicts from files: `validate`) or as the raw JSON of a feed's HTTP body or AMQP message
(`split_records` + `validate_raw`): a source with a strict fast reader (FeedSource.wire) reads each raw record in C,
and only a record the fast reader refuses is decoded into a dict for the lenient parser, which names its problems."""
import json
from dataclasses import dataclass, field

import msgspec
import orjson

from bihuan_supervision.domain.feeds.common import Checker, FeedSource, RecordError
from bihuan_supervision.domain.feeds.routing import FIELD, Routes

_ESCAPED_NUL = b"\\u0000"  # PostgreSQL text cannot hold NUL; only the lenient parser checks for it


@dataclass
class ValidatedBatch:
    rows: list[tuple] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    duplicates_in_batch: int = 0

    def __post_init__(self) -> None:
        self._newest: dict[str, int] = {}  # key -> position in rows; a batch may carry several versions of a record

    def keep(self, row: tuple, index: int = 0) -> None:
        at = self._newest.get(row[0])
        if at is None:
            self._newest[row[0]] = len(self.rows)
            self.rows.append(row)
        else:
            self.duplicates_in_batch += 1
            if row[1] > self.rows[at][1]:
                self.rows[at] = row


class RoutedBatch:
    """A validated batch split by the scope each record is stored in (routing.Routes); a record whose district
    cannot be routed is answered by its index and the field `district`, like any other bad field."""

    def __init__(self, routes: Routes, source: FeedSource):
        self.routes, self._at = routes, source.district_at
        self.parts: dict[str, ValidatedBatch] = {}
        self.errors: list[RecordError] = []

    def keep(self, row: tuple, index: int) -> None:
        district = row[self._at]
        scope = self.routes.scope_of(district)
        if scope is None:
            self.errors.append(RecordError(index, FIELD, self.routes.refusal(district)))
            return
        part = self.parts.get(scope)
        if part is None:
            part = self.parts[scope] = ValidatedBatch()
        part.keep(row)

    @property
    def duplicates_in_batch(self) -> int:
        return sum(p.duplicates_in_batch for p in self.parts.values())


Sink = ValidatedBatch | RoutedBatch


class BodyError(ValueError):
    """The body is not JSON, or not an array of records."""

    def __init__(self, message: str, syntax: bool):
        super().__init__(message)
        self.syntax = syntax


@dataclass
class RawRecords:
    # each record's raw JSON (msgspec.Raw); or the record decoded, when only Python's own json could read the body
    records: list
    clean: bool  # no escaped NUL anywhere, so the fast reader may take any record as it is


class _Wrapped(msgspec.Struct):
    records: list[msgspec.Raw]


_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])
_WRAPPED = msgspec.json.Decoder(_Wrapped)
_ONE = msgspec.json.Decoder(msgspec.Raw)


def split_records(body: bytes, *, single: bool = False) -> RawRecords:
    """A JSON array of records, or {"records": [...]} (or, with single, one record alone), as each record's raw JSON;
    the records themselves are not decoded yet."""
    head = body[:64].lstrip()[:1]
    try:
        if head == b"{":
            records = [_ONE.decode(body)] if single else _WRAPPED.decode(body).records
        else:
            records = _ARRAY.decode(body)
    except msgspec.ValidationError as exc:
        raise BodyError(str(exc), syntax=False) from None
    except msgspec.DecodeError as exc:
        return _decoded(body, single, exc)
    return RawRecords(records, _ESCAPED_NUL not in body)


def _decoded(body: bytes, single: bool, exc: Exception) -> RawRecords:
    """Python's json reads text the fast readers refuse (a lone surrogate escape, say): decode it so the lenient parser
    can name the record and field PostgreSQL could not store, and keep the good records beside it."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        raise BodyError(str(exc), syntax=True) from None
    if isinstance(value, dict) and not single:
        value = value.get("records")
    elif isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise BodyError("Expected `array`", syntax=False)
    return RawRecords(value, False)


def _sink(source: FeedSource, routes: Routes | None) -> Sink:
    return ValidatedBatch() if routes is None else RoutedBatch(routes, source)


def validate(source: FeedSource, records: list, first_index: int = 0, routes: Routes | None = None) -> Sink:
    """The batch's good rows and its errors; with routes, the rows split by the scope each is stored in."""
    out = _sink(source, routes)
    for i, rec in enumerate(records, first_index):
        _lenient(source, rec, i, out)
    return out


def validate_raw(source: FeedSource, raw: RawRecords, first_index: int = 0, routes: Routes | None = None) -> Sink:
    out, wire = _sink(source, routes), source.wire
    for i, record in enumerate(raw.records, first_index):
        if type(record) is not msgspec.Raw:
            _lenient(source, record, i, out)
            continue
        if wire is not None and (raw.clean or _ESCAPED_NUL not in bytes(record)):
            try:
                out.keep(wire.row(wire.decoder.decode(record)), i)
                continue
            except msgspec.DecodeError:  # includes ValidationError: not canonical, let the lenient parser say why
                pass
        _lenient(source, _loads(bytes(record)), i, out)
    return out


def _loads(record: bytes) -> object:
    try:
        return orjson.loads(record)
    except orjson.JSONDecodeError:  # e.g. nested deeper than orjson goes; Python's json says what it is
        try:
            return json.loads(record)
        except (ValueError, RecursionError):
            return _UNREADABLE


_UNREADABLE = object()  # not a dict, so answered as "记录应为 JSON 对象"


def _lenient(source: FeedSource, rec: object, i: int, out: Sink) -> None:
    if not isinstance(rec, dict):
        out.errors.append(RecordError(i, "", "记录应为 JSON 对象"))
        return
    c = Checker(i)
    row = source.parse(rec, c)
    if row is None:
        out.errors.extend(c.errors)
    else:
        out.keep(row, i)

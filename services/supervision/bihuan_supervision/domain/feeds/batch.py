"""Validating a batch: good rows kept (the newest version of each id), every bad record answered."""
from dataclasses import dataclass, field

from bihuan_supervision.domain.feeds.common import Checker, FeedSource, RecordError


@dataclass
class ValidatedBatch:
    rows: list[tuple] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    duplicates_in_batch: int = 0


def validate(source: FeedSource, records: list, first_index: int = 0) -> ValidatedBatch:
    out = ValidatedBatch()
    newest: dict[str, int] = {}  # key -> position in out.rows; a batch may carry several versions of one record
    parse = source.parse
    for i, rec in enumerate(records, first_index):
        c = Checker(i)
        if not isinstance(rec, dict):
            out.errors.append(RecordError(i, "", "记录应为 JSON 对象"))
            continue
        row = parse(rec, c)
        if row is None:
            out.errors.extend(c.errors)
            continue
        at = newest.get(row[0])
        if at is None:
            newest[row[0]] = len(out.rows)
            out.rows.append(row)
        else:
            out.duplicates_in_batch += 1
            if row[1] > out.rows[at][1]:
                out.rows[at] = row
    return out

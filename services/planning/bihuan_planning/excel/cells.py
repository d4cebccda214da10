"""Reading cells of an uploaded workbook and saying precisely where a problem is (sheet, row, column)."""
import io
from dataclasses import asdict, dataclass
from datetime import date, datetime

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bihuan_shared.web.errors import Invalid
from bihuan_shared.web.sheet_limits import check_archive
from bihuan_shared.web.sheets import DamagedCell, DamagedSheet, sheet_rows


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int
    column: str       # "B (方面)": letter and header, as the user sees it
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def open_workbook(data: bytes):
    check_archive(data)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise Invalid("无法读取上传的文件：请上传 .xlsx 格式的 Excel 工作簿", code="not_a_workbook") from None


def find_header(ws: Worksheet, required: tuple[str, ...], search_rows: int = 6) -> tuple[int, dict[str, int]] | None:
    """The header row (1-based) and {header: column index (0-based)}; title rows above it are skipped."""
    try:
        for r, row in sheet_rows(ws, 1, search_rows):
            headers = {text(v): i for i, v in enumerate(row) if text(v)}
            if all(h in headers for h in required):
                return r, headers
    except DamagedSheet:
        pass  # reported as a sheet without its header
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


def column_label(index: int | None, header: str) -> str:
    """"B (方面)"; a column the sheet lacks is named by its header alone, never by a letter it does not have."""
    if index is None:
        return f"{header}（表中无此列）"
    return f"{get_column_letter(index + 1)} ({header})" if header else get_column_letter(index + 1)


def rows_after(ws: Worksheet, header_row: int, headers: dict[str, int], problems: list[Problem]):
    """(row number, values) for each non-empty row under the header. A cell that cannot be read is a problem at its
    sheet, row and column, and its row is left out; a sheet that cannot be read past a row is a problem at that row."""
    names = {i: h for h, i in headers.items()}
    try:
        for r, row in sheet_rows(ws, header_row + 1):
            damaged = [(i, v) for i, v in enumerate(row) if isinstance(v, DamagedCell)]
            problems += [Problem(ws.title, r, column_label(i, names.get(i, "")), str(v)) for i, v in damaged]
            if not damaged and any(text(v) for v in row):
                yield r, row
    except DamagedSheet as exc:
        problems.append(Problem(ws.title, exc.row, "", exc.message))


def problems_error(problems: list[Problem], what: str) -> Invalid:
    return Invalid(f"{what}有 {len(problems)} 处问题，未导入任何数据", code="workbook_invalid",
                   details=[p.as_dict() for p in problems])

"""Reading the rows of an uploaded workbook so that no cell can crash an import.

openpyxl's read-only mode converts cells lazily, while the rows are iterated: a cell whose stored value does not fit
its type (a number cell holding text, a shared string index past the table, a boolean "x", a bad date, an impossible
reference) raises ValueError or IndexError from deep inside the loop, and an import that only guarded load_workbook
answers 500. Here such a cell becomes a DamagedCell in its place, so the import names the sheet, row and column like
any other problem, and the rest of the sheet is still read. XML that is not well formed cannot be read past; that
raises DamagedSheet with the first row that could not be read.

Only non-empty rows are returned, each as wide as its last cell (at most MAX_COLUMNS): a sheet whose dimension
claims a million rows costs nothing, unlike iter_rows, which fills every missing row.

The sheet is streamed cell by cell, each element dropped once read (openpyxl's own parser keeps a whole row's
elements and dicts: one row of 3 million cells took 2.7 GB), and a cell past sheet_limits' max_columns (or a row
holding more cells than that) or a row past max_rows is refused with a 413 naming the cap."""
from dataclasses import dataclass
from typing import Iterator

from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet._reader import (  # private, pinned with openpyxl in requirements
    CELL_TAG, ROW_TAG, VALUE_TAG, WorkSheetParser)
from openpyxl.xml.functions import iterparse

from bihuan_shared.web import sheet_limits
from bihuan_shared.web.errors import TooLarge

MAX_COLUMNS = 1000  # values past this column are not returned: no import layout comes near it


@dataclass(frozen=True)
class DamagedCell:
    """A cell whose stored value cannot be read as its declared type."""
    raw: str
    reason: str

    def __str__(self) -> str:
        return f"单元格内容无法读取（{self.reason}）"


class DamagedSheet(Exception):
    def __init__(self, row: int, reason: str):
        super().__init__(f"第 {row} 行起的内容无法读取（{reason}），请用 Excel 打开后另存为 .xlsx 再上传")
        self.row, self.message = row, str(self)


class _TolerantParser(WorkSheetParser):
    def parse_cell(self, element):
        try:
            return super().parse_cell(element)
        except Exception as exc:  # noqa: BLE001  any conversion openpyxl fails at: keep the place, say why
            raw = (element.findtext(VALUE_TAG) or "")[:50]
            reason = f"类型 {element.get('t', 'n')} 的值「{raw}」无效: {type(exc).__name__}"
            try:
                row, column = coordinate_to_tuple(element.get("r") or "")
            except Exception:  # noqa: BLE001  the reference itself is broken: place it after the previous cell
                row, column = self.row_counter, self.col_counter + 1
                reason = f"单元格引用「{(element.get('r') or '')[:20]}」无效"
            self.col_counter = column
            return {"row": row, "column": column, "value": DamagedCell(raw, reason), "data_type": "n",
                    "style_id": 0}


def sheet_rows(ws, min_row: int = 1, max_row: int | None = None) -> Iterator[tuple[int, tuple]]:
    """(row number, values) of each row with a cell in it, from a worksheet opened read-only."""
    book = ws.parent
    last = min_row - 1
    with book._archive.open(ws._worksheet_path) as source:
        parser = _TolerantParser(source, ws._shared_strings, data_only=book.data_only, epoch=book.epoch,
                                 date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        try:
            for number, cells in _stream(parser, source):
                if number < min_row:
                    continue
                if max_row is not None and number > max_row:
                    return
                last = number
                yield number, _values(cells)
        except TooLarge:
            raise
        except Exception as exc:  # noqa: BLE001  XML not well formed, or a sheet part openpyxl cannot read
            raise DamagedSheet(last + 1, type(exc).__name__) from None


def _stream(parser: _TolerantParser, source) -> Iterator[tuple[int, list[dict]]]:
    """(row number, cell dicts) of each <row>, read on the cells' end events and dropped at once, so memory stays
    one cell deep whatever a row holds; everything outside the rows (cols, merges...) is dropped as it ends."""
    limits = sheet_limits.limits
    depth, rows, parents, cells = 0, 0, [], []
    for event, element in iterparse(source, events=("start", "end")):
        if event == "start":
            depth += 1
            parents.append(element)
            if element.tag == ROW_TAG:
                _start_row(parser, element, limits.max_rows)
                rows, cells = rows + 1, []
                if rows > limits.max_rows:
                    raise _over_rows(limits.max_rows)
            continue
        depth -= 1
        parents.pop()
        if element.tag == CELL_TAG:
            cells.append(parser.parse_cell(element))
            if len(cells) > limits.max_columns or cells[-1]["column"] > limits.max_columns:
                raise sheet_limits.too_large("max_columns", f"第 {parser.row_counter} 行的单元格超过 "
                                             f"{limits.max_columns} 列上限，未读取")
            _drop(element, parents)
        elif element.tag == ROW_TAG:
            _drop(element, parents)
            yield parser.row_counter, cells
        elif depth <= 1:
            _drop(element, parents)


def _start_row(parser: _TolerantParser, row, max_rows: int) -> None:
    number = row.get("r")
    parser.row_counter = int(float(number)) if number is not None else parser.row_counter + 1
    parser.col_counter = 0
    if parser.row_counter > max_rows:
        raise _over_rows(max_rows)


def _over_rows(max_rows: int) -> TooLarge:
    return sheet_limits.too_large("max_rows", f"工作表超过 {max_rows} 行上限，未读取")


def _drop(element, parents: list) -> None:
    element.clear()
    if parents:
        parents[-1].remove(element)


def _values(cells: list[dict]) -> tuple:
    width = min(max((c["column"] for c in cells), default=0), MAX_COLUMNS)
    values = [None] * width
    for c in cells:
        if 1 <= c["column"] <= width:
            values[c["column"] - 1] = c["value"]
    return tuple(values)

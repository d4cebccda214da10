"""The evaluation import sheet, read from the first sheet: a header row (in the first 6 rows, title rows above it are
skipped) naming 单位代码, 评价类型 and 分数, optionally 评价人 and 说明, in any order; one evaluation per row below it.

Whatever the workbook holds, reading it never raises past a clear 422 for a file that is not a workbook: a cell that
cannot be read, a row past the limit and every later validation error are answered with the sheet, row and column."""
import io
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from bihuan_shared.web.errors import Invalid
from bihuan_shared.web.sheet_limits import check_archive
from bihuan_shared.web.sheets import DamagedCell, DamagedSheet, sheet_rows

KINDS = {"领导评价": "leader", "职能部门评价": "department", "第三方评估": "third_party", "牵头单位评价": "cooperation",
         "系统牵头单位评价": "system", "系统评价": "system"}
FIELDS = ("unit", "kind", "evaluator", "score", "comment")
HEADERS = ("单位代码", "评价类型", "评价人", "分数", "说明")
REQUIRED = ("单位代码", "评价类型", "分数")
MAX_ROWS = 5000


@dataclass
class EvaluationSheet:
    title: str = ""
    rows: list[tuple[int, dict]] = field(default_factory=list)  # (row number, record for EvaluationRow)
    problems: list[dict] = field(default_factory=list)
    columns: dict[str, int] = field(default_factory=dict)  # field -> column index (0-based) found in the header
    truncated: bool = False

    def locate(self, error: dict) -> dict:
        """A validation error of the record at error["index"] (its row number), with the sheet and column named."""
        name = str(error.get("field", "")).split(".")[0]
        return {**error, "sheet": self.title, "row": error["index"], "column": self.column(name)}

    def column(self, name: str) -> str:
        if name not in FIELDS:
            return ""
        header, index = HEADERS[FIELDS.index(name)], self.columns.get(name)
        return f"{header}（表中无此列）" if index is None else f"{get_column_letter(index + 1)} ({header})"


def read_evaluation_sheet(data: bytes) -> EvaluationSheet:
    from openpyxl import load_workbook
    check_archive(data)
    try:
        ws = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    except Exception:  # noqa: BLE001  openpyxl raises many kinds for a file that is not a workbook
        raise Invalid("无法读取 Excel 文件（需要 .xlsx）", code="bad_excel") from None
    sheet = EvaluationSheet(ws.title if ws is not None else "")
    if ws is None:
        return sheet
    try:
        for number, values in sheet_rows(ws):
            if sheet.columns:
                _row(sheet, number, values)
            elif number <= 6:
                _header(sheet, values)
        if not sheet.columns:
            sheet.problems.append({"index": 1, "field": "record", "message": "找不到表头：需要包含列 " + "、".join(REQUIRED),
                                   "sheet": sheet.title, "row": 1, "column": ""})
    except DamagedSheet as exc:
        sheet.problems.append(sheet.locate({"index": exc.row, "field": "record", "message": exc.message}))
    return sheet


def _header(sheet: EvaluationSheet, values: tuple) -> None:
    found = {_text(v): i for i, v in enumerate(values) if _text(v) in HEADERS}
    if all(h in found for h in REQUIRED):
        sheet.columns = {f: found[h] for f, h in zip(FIELDS, HEADERS) if h in found}


def _row(sheet: EvaluationSheet, number: int, values: tuple) -> None:
    cells = {f: (values[i] if i < len(values) else None) for f, i in sheet.columns.items()}
    if all(v is None for v in cells.values()):
        return
    if len(sheet.rows) >= MAX_ROWS:
        if not sheet.truncated:
            sheet.truncated = True
            sheet.problems.append(sheet.locate({"index": number, "field": "record",
                                                "message": f"超过 {MAX_ROWS} 行上限：本行及以后各行未导入"}))
        return
    damaged = [(f, v) for f, v in cells.items() if isinstance(v, DamagedCell)]
    if damaged:
        sheet.problems += [sheet.locate({"index": number, "field": f, "message": str(v)}) for f, v in damaged]
        return
    kind = _text(cells.get("kind"))
    sheet.rows.append((number, {"unit": _text(cells.get("unit")), "kind": KINDS.get(kind, kind),
                                "evaluator": _text(cells.get("evaluator")) or None, "score": cells.get("score"),
                                "comment": _text(cells.get("comment"))}))


def _text(value) -> str:
    return "" if value is None else str(value).strip()

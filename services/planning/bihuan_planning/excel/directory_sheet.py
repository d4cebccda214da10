"""The directory as a workbook: sheet 单位 (units) and sheet 分管领导 (leaders)."""
import io
from dataclasses import dataclass, field

from openpyxl import Workbook
from pydantic import ValidationError

from bihuan_planning.domain.directory_records import LeaderIn, UnitIn
from bihuan_planning.domain.directory import KIND_BY_LABEL, KIND_LABELS, split_names
from bihuan_planning.excel.cells import Problem, column_label, find_header, open_workbook, rows_after, text
from bihuan_shared.web.files import append_row

UNIT_SHEET, LEADER_SHEET = "单位", "分管领导"
UNIT_COLUMNS = ("单位编码", "单位名称", "类型", "上级单位", "考核组")
LEADER_COLUMNS = ("领导编码", "姓名", "职务", "分管单位")


@dataclass
class DirectoryRows:
    units: dict[str, UnitIn] = field(default_factory=dict)
    leaders: dict[str, LeaderIn] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    rows: dict[tuple[str, str], int] = field(default_factory=dict)   # (sheet, code) -> row, for later problems
    headers: dict[str, dict[str, int]] = field(default_factory=dict)  # sheet -> {header: column index}

    def problem(self, sheet: str, code: str, header: str, message: str) -> None:
        """A problem found after reading (a parent or leader's unit), at the row and column it came from."""
        index = self.headers.get(sheet, {}).get(header)
        self.problems.append(Problem(sheet, self.rows[(sheet, code)], column_label(index, header), message))


def read_directory(data: bytes) -> DirectoryRows:
    wb = open_workbook(data)
    out = DirectoryRows()
    for name, columns, reader in ((UNIT_SHEET, UNIT_COLUMNS, _unit_row), (LEADER_SHEET, LEADER_COLUMNS, _leader_row)):
        if name not in wb.sheetnames:
            if name == UNIT_SHEET:
                out.problems.append(Problem(name, 0, "", f"缺少工作表「{name}」"))
            continue
        ws = wb[name]
        found = find_header(ws, columns[:2])
        if found is None:
            out.problems.append(Problem(name, 1, "", f"找不到表头（需要列：{'、'.join(columns)}）"))
            continue
        header_row, headers = found
        out.headers[name] = headers
        for r, row in rows_after(ws, header_row, headers, out.problems):
            cells = {h: text(row[i]) if i < len(row) else "" for h, i in headers.items()}
            reader(name, r, cells, headers, out)
    return out


def _unit_row(sheet: str, r: int, cells: dict, headers: dict, out: DirectoryRows) -> None:
    def problem(col: str, message: str) -> None:
        out.problems.append(Problem(sheet, r, column_label(headers.get(col), col), message))

    code, kind_label = cells.get("单位编码", ""), cells.get("类型", "")
    if code in out.units:
        return problem("单位编码", f"单位编码 {code} 重复")
    kind = KIND_BY_LABEL.get(kind_label)
    if kind is None:
        return problem("类型", f"未知的单位类型「{kind_label}」（应为：{'、'.join(KIND_LABELS.values())}）")
    out.rows[(sheet, code)] = r
    try:
        out.units[code] = UnitIn(name=cells.get("单位名称", ""), kind=kind, parent=cells.get("上级单位") or None,
                                 assessment_group=cells.get("考核组") or None)
    except ValidationError as exc:
        problem("单位名称", _first_error(exc))
    if not code:
        problem("单位编码", "单位编码不能为空")


def _leader_row(sheet: str, r: int, cells: dict, headers: dict, out: DirectoryRows) -> None:
    code = cells.get("领导编码", "")
    col = column_label(headers.get("领导编码"), "领导编码")
    if not code or code in out.leaders:
        out.problems.append(Problem(sheet, r, col, "领导编码为空或重复"))
        return
    out.rows[(sheet, code)] = r
    try:
        out.leaders[code] = LeaderIn(name=cells.get("姓名", ""), title=cells.get("职务") or None,
                                     units=split_names(cells.get("分管单位")))
    except ValidationError as exc:
        out.problems.append(Problem(sheet, r, column_label(headers.get("姓名"), "姓名"), _first_error(exc)))


def _first_error(exc: ValidationError) -> str:
    e = exc.errors()[0]
    return f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}"


def write_directory(units: list, leaders: list) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = UNIT_SHEET
    ws.append(UNIT_COLUMNS)
    for u in units:
        append_row(ws, (u.code, u.name, KIND_LABELS[u.kind], u.parent or "", u.assessment_group or ""))
    ws = wb.create_sheet(LEADER_SHEET)
    ws.append(LEADER_COLUMNS)
    for x in leaders:
        append_row(ws, (x.code, x.name, x.title or "", "、".join(x.units)))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

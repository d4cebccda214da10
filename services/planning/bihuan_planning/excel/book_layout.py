"""The common target-book layout target offices use, and how its cells map to target fields. Pure: no I/O."""
import calendar
import re
from datetime import date

LEADING = ("序号", "方面", "目标名称", "具体事项", "工作措施")
QUARTERS = ("一季度", "二季度", "三季度", "四季度")
MONTHS = tuple(f"{m}月" for m in range(1, 13))
TRAILING = ("牵头部门", "责任部门", "配合部门", "分管领导", "类别", "来源", "指标值", "单位", "权重")
# Not in every office's sheet, but needed for an export to import back as the same book.
EXTRA = ("基数", "指标方向", "累计", "项目计划书")
REQUIRED = ("序号", "目标名称", "牵头部门")

CATEGORY_LABELS = {"key_work": "重点工作", "special_work": "专项工作", "major_project": "重大工程",
                   "public_service": "实事项目", "unit_work": "部门及街镇工作"}
CATEGORY_BY_LABEL = {v: k for k, v in CATEGORY_LABELS.items()} | {k: k for k in CATEGORY_LABELS} | {
    "部门工作": "unit_work", "街镇工作": "unit_work", "实事工程": "public_service"}
DIRECTION_LABELS = {"up": "递增", "down": "递减"}
DIRECTION_BY_LABEL = {"递增": "up", "递减": "down", "up": "up", "down": "down", "": "up"}
YES, NO = "是", "否"

DATED = re.compile(r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2})\s*[：:]\s*(.*)$", re.S)
LOOKS_DATED = re.compile(r"^\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")


def columns(period: str) -> tuple[str, ...]:
    return LEADING + (MONTHS if period == "month" else QUARTERS) + TRAILING + EXTRA


def period_end(year: int, period: str, index: int) -> date:
    """Last day of the index-th quarter or month (0-based) of the year."""
    month = (index + 1) * 3 if period == "quarter" else index + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def period_index(due: date, period: str) -> int:
    return (due.month - 1) // 3 if period == "quarter" else due.month - 1


def split_milestone_cell(cell: str) -> list[tuple[str | None, str]]:
    """A milestone cell: one line per milestone, each "value" or "2026-03-15：value" when the due date is not the
    period's last day. Returns [(date text or None, value text)]."""
    out = []
    for line in cell.splitlines():
        if not line.strip():
            continue
        m = DATED.match(line)
        out.append((m.group(1), m.group(2).strip()) if m else (None, line.strip()))
    return out


def parse_date(text: str) -> date | None:
    try:
        y, m, d = (int(x) for x in re.split(r"[-/.]", text))
        return date(y, m, d)
    except ValueError:
        return None


def parse_number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").replace("，", ""))
    except ValueError:
        return None


def format_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def code_key(code: str) -> tuple:
    """Natural order of 序号: "2" < "10", "1.2" < "1.10"."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\-]", code))


def parent_code(code: str, codes: set[str]) -> str | None:
    """"3.2.1" hangs under "3.2" when the book has it (else under "3", else it is top level)."""
    parts = code.split(".")
    while len(parts) > 1:
        parts = parts[:-1]
        if ".".join(parts) in codes:
            return ".".join(parts)
    return None

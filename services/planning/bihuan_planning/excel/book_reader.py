"""Reading a target book workbook into targets, collecting every problem with its sheet, row and column."""
from dataclasses import dataclass, field

from bihuan_planning.domain.directory import split_names
from bihuan_planning.domain.milestones import PlannedMilestone, check_milestones
from bihuan_planning.excel import book_layout as L
from bihuan_planning.excel.cells import Problem, column_label, find_header, open_workbook, rows_after, text


@dataclass
class Directory:
    """Name or code → code, for units and leaders; empty when the scope has no directory (codes taken as given)."""
    units: dict[str, str] = field(default_factory=dict)
    leaders: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, units: dict[str, str], leaders: dict[str, str]) -> "Directory":
        """units/leaders: {code: name}."""
        return cls({**{n: c for c, n in units.items()}, **{c: c for c in units}},
                   {**{n: c for c, n in leaders.items()}, **{c: c for c in leaders}})


@dataclass
class ParsedBook:
    period: str = "quarter"
    targets: list[dict] = field(default_factory=list)   # TargetDraftIn-shaped, plus "row", "sheet", "parent_code"
    problems: list[Problem] = field(default_factory=list)
    milestone_columns: dict[str, str] = field(default_factory=dict)  # sheet -> "F–I (节点)", where a target without
    #                                                                   milestones is told to add them


def read_book(data: bytes, year: int, directory: Directory, taken_codes: set[str] = frozenset()) -> ParsedBook:
    wb = open_workbook(data)
    book = ParsedBook()
    sheets = 0
    for ws in wb.worksheets:
        found = find_header(ws, L.REQUIRED)
        if found is None:
            continue
        sheets += 1
        header_row, headers = found
        book.period = "month" if "1月" in headers else "quarter"
        periods = L.MONTHS if book.period == "month" else L.QUARTERS
        present = sorted(headers[p] for p in periods if p in headers)
        book.milestone_columns[ws.title] = (f"{column_label(present[0], '')}–{column_label(present[-1], '节点')}"
                                            if present else column_label(None, "节点"))
        for r, row in rows_after(ws, header_row, headers, book.problems):
            cells = {h: (row[i] if i < len(row) else None) for h, i in headers.items()}
            _Row(book, ws.title, r, headers, cells, periods, year, directory, taken_codes).read()
    if not sheets:
        book.problems.append(Problem(wb.sheetnames[0] if wb.sheetnames else "", 1, "",
                                     f"找不到表头：需要包含列 {'、'.join(L.REQUIRED)}"))
    _link_parents(book)
    return book


class _Row:
    def __init__(self, book, sheet, r, headers, cells, periods, year, directory, taken):
        self.book, self.sheet, self.r, self.headers, self.cells = book, sheet, r, headers, cells
        self.periods, self.year, self.dir, self.taken = periods, year, directory, taken
        self.problems: list[Problem] = []

    def problem(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.sheet, self.r, column_label(self.headers.get(column), column), message))

    def t(self, column: str) -> str:
        return text(self.cells.get(column))

    def read(self) -> None:
        code, title = self.t("序号"), self.t("目标名称")
        if not code or len(code) > 64:
            self.problem("序号", "序号不能为空，且不超过 64 个字符")
        elif code in self.taken or any(x["code"] == code for x in self.book.targets):
            self.problem("序号", f"序号 {code} 重复（本表或目标书中已存在）")
        if not title:
            self.problem("目标名称", "目标名称不能为空")
        for column, limit in (("方面", 200), ("来源", 64), ("单位", 50)):
            if len(self.t(column)) > limit:
                self.problem(column, f"不超过 {limit} 个字符")
        indicator = self._indicator()
        target = {
            "code": code, "title": title[:500], "content": self.t("具体事项"), "work_measures": self.t("工作措施"),
            "area": self.t("方面") or None, "category": self._category(), "source": self.t("来源") or None,
            "lead_unit": self._lead(), "responsible_units": self._units("责任部门"),
            "cooperating_units": self._units("配合部门"), "leader": self._leader(), "weight": self._weight(),
            "indicator": indicator, "proposal_reference": self.t("项目计划书") or None,
            "milestones": self._milestones(indicator), "row": self.r, "sheet": self.sheet,
        }
        self.book.targets.append(target)
        self.book.problems += self.problems

    def _category(self) -> str | None:
        label = self.t("类别")
        category = L.CATEGORY_BY_LABEL.get(label)
        if category is None:
            self.problem("类别", f"未知的目标类别「{label}」（应为：{'、'.join(L.CATEGORY_LABELS.values())}）")
        return category

    def _resolve(self, column: str, ref: str, table: dict[str, str], what: str) -> str | None:
        if not table:            # the scope has no directory yet: take the cell as a code
            if len(ref) > 64:
                self.problem(column, f"{what}编码「{ref[:20]}…」过长（不超过 64 个字符）")
            return ref
        if ref not in table:
            self.problem(column, f"{what}「{ref}」不在辖区目录中")
            return None
        return table[ref]

    def _lead(self) -> str | None:
        names = split_names(self.t("牵头部门"))
        if len(names) != 1:
            self.problem("牵头部门", "必须有且只有一个牵头部门" if names else "缺少牵头部门")
            return None
        return self._resolve("牵头部门", names[0], self.dir.units, "单位")

    def _units(self, column: str) -> list[str]:
        return [c for c in (self._resolve(column, n, self.dir.units, "单位") for n in split_names(self.t(column))) if c]

    def _leader(self) -> str | None:
        name = self.t("分管领导")
        return self._resolve("分管领导", name, self.dir.leaders, "分管领导") if name else None

    def _number(self, column: str, default: float | None = None) -> float | None:
        raw = self.t(column)
        if not raw:
            return default
        value = L.parse_number(raw)
        if value is None:
            self.problem(column, f"「{raw}」不是数字")
        return value

    def _weight(self) -> float:
        weight = self._number("权重", 1.0)
        if weight is not None and not 0 <= weight <= 1000:
            self.problem("权重", "权重必须在 0 到 1000 之间")
        return weight if weight is not None else 1.0

    def _indicator(self) -> dict:
        direction = L.DIRECTION_BY_LABEL.get(self.t("指标方向"))
        if direction is None:
            self.problem("指标方向", "指标方向应为「递增」或「递减」")
        target_value = self._number("指标值")
        return {"kind": "quantitative" if self.t("指标值") else "qualitative",
                "unit_of_measure": self.t("单位") or None, "baseline": self._number("基数"),
                "target_value": target_value, "direction": direction or "up", "cumulative": self.t("累计") != L.NO}

    def _milestones(self, indicator: dict) -> list[dict]:
        quantitative = indicator["kind"] == "quantitative"
        out, columns = [], []
        for i, column in enumerate(self.periods):
            for date_text, value in L.split_milestone_cell(self.t(column)):
                due = L.period_end(self.year, "month" if len(self.periods) == 12 else "quarter", i)
                if date_text is not None:
                    due = L.parse_date(date_text)
                    if due is None:
                        self.problem(column, f"节点日期「{date_text}」无效")
                        continue
                elif L.LOOKS_DATED.match(value):
                    self.problem(column, f"节点「{value}」的日期后应加全角冒号再写内容，如 2026-03-15：完成方案")
                    continue
                m = {"due_date": due.isoformat(), "expected_value": None, "deliverable": None}
                if quantitative:
                    m["expected_value"] = L.parse_number(value)
                    if m["expected_value"] is None:
                        self.problem(column, f"量化指标的节点应为累计数值，「{value}」不是数字")
                        continue
                else:
                    m["deliverable"] = value
                out.append(m)
                columns.append(column)
        self._check(out, columns, indicator)
        return out

    def _check(self, milestones: list[dict], columns: list[str], ind: dict) -> None:
        if not milestones:
            return  # a grouping row (a key task with sub-items) may have none; checked once parents are known
        planned = [PlannedMilestone(L.parse_date(m["due_date"]), m["expected_value"], m["deliverable"])
                   for m in milestones]
        for p in check_milestones(self.year, planned, quantitative=ind["kind"] == "quantitative",
                                  direction=ind["direction"], target_value=ind["target_value"]):
            self.problem(columns[p.index] if p.index is not None else "指标值", p.message)


def _link_parents(book: ParsedBook) -> None:
    codes = {t["code"] for t in book.targets if t["code"]}
    parents = set()
    for t in book.targets:
        t["parent_code"] = L.parent_code(t["code"], codes) if t["code"] else None
        parents.add(t["parent_code"])
    for t in book.targets:
        if not t["milestones"] and t["code"] not in parents:
            book.problems.append(Problem(t["sheet"], t["row"], book.milestone_columns[t["sheet"]],
                                         f"目标 {t['code']} 没有任何节点目标"))
        if t["parent_code"] and not t["area"]:
            t["area"] = next(p["area"] for p in book.targets if p["code"] == t["parent_code"])
    book.problems.sort(key=lambda p: (p.sheet, p.row))
    book.targets.sort(key=lambda t: L.code_key(t["code"] or ""))

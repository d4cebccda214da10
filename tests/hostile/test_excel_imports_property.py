"""Property tests (hypothesis) of the Excel imports: planning's target book and directory, assessment's evaluations.
Whatever a workbook holds (wrong types, blanks, huge strings, control characters, formulas, merged cells, extra
sheets, cells whose stored value does not fit their type, XML that is not well formed), reading it never raises
anything but the clear "not a workbook" 422; every problem names its sheet, row and column (the column's letter
really holds the header it names); and a valid workbook round-trips field by field. The dry runs of the real APIs
answer hostile workbooks without a 500."""
import io
import re
import zipfile
from contextlib import AsyncExitStack
from datetime import date, datetime, time

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from openpyxl import Workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import column_index_from_string

from bihuan_assessment.api.batch import split_batch
from bihuan_assessment.api.evaluation_sheet import HEADERS as EVAL_HEADERS, KINDS, read_evaluation_sheet
from bihuan_assessment.api.evaluations import EvaluationRow
from bihuan_planning.domain.directory import KIND_LABELS
from bihuan_planning.excel import book_layout as L
from bihuan_planning.excel.book_reader import Directory, read_book
from bihuan_planning.excel.cells import text
from bihuan_planning.excel.directory_sheet import LEADER_COLUMNS, LEADER_SHEET, UNIT_COLUMNS, UNIT_SHEET, read_directory
from bihuan_planning.samples import BOOK, LEADERS, UNITS, book_workbook
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.routes import create_app, migrations, settings_class
from bihuan_shared.testing.services import bearer, running_app
from bihuan_shared.web.errors import Invalid

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
MARK = "\u2063MARK"  # a cell to be replaced in the saved XML by a damaged one
DAMAGED = [  # a value that does not fit the cell's type, a broken reference, escapes, a character XML forbids
    '<c r="REF" t="n"><v>abc</v></c>', '<c r="REF" t="s"><v>999</v></c>', '<c r="REF" t="b"><v>x</v></c>',
    '<c r="REF" t="d"><v>notadate</v></c>', '<c r="REF" t="n"><v>nan</v></c>', '<c r="ZZZZZ0" t="n"><v>1</v></c>',
    '<c r="REF" t="e"><v>#DIV/0!</v></c>', '<c r="REF" t="inlineStr"><is><t>a_x0001_b_x001F_</t></is></c>',
    '<c r="REF" t="str"><f>A1&amp;B1</f><v>=cached</v></c>', '<c r="REF" t="inlineStr"><is><t>a\x01b</t></is></c>']
SAFE = st.characters(blacklist_categories=("Cs", "Cc"))
hostile_values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70), st.floats(allow_nan=True),
    st.text(SAFE, max_size=30), st.text(st.sampled_from(" \t\n、，,;：:-./0123456789年月日"), max_size=12),
    st.integers(min_value=300, max_value=33_000).map(lambda n: "长" * n), st.dates(), st.datetimes(),
    st.times(), st.sampled_from(["=SUM(A1:A3)", "=1/0", '=HYPERLINK("http://x","x")', "=A1&B1", "#N/A"]),
    st.just(MARK))
sheet_names = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="[]:*?/\\'"),
                      min_size=1, max_size=20).filter(lambda s: s.strip() == s)


class Drawn(bytes):
    """The workbook's bytes, shown in a failure report as its size, not as a page of escaped zip."""

    def __repr__(self) -> str:
        return f"<workbook of {len(self)} bytes>"


@st.composite
def hostile(draw, sheets: list[tuple[str, list[tuple]]]) -> tuple[bytes, Workbook]:
    """A workbook of the given sheets, then damaged: cells overwritten, ranges merged, rows and columns inserted or
    deleted, extra sheets, and some cells replaced in the saved XML by values that do not fit their type."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    for _ in range(draw(st.integers(0, 8))):
        ws = wb.worksheets[draw(st.integers(0, len(wb.worksheets) - 1))]
        op = draw(st.sampled_from(["cell", "cell", "cell", "damage", "merge", "insert_row", "delete_col", "sheet"]))
        r, c = draw(st.integers(1, ws.max_row + 2)), draw(st.integers(1, ws.max_column + 2))
        if op in ("cell", "damage") and not isinstance(ws.cell(r, c), MergedCell):
            ws.cell(r, c).value = MARK if op == "damage" else draw(hostile_values)
        elif op == "merge":
            ws.merge_cells(start_row=r, start_column=c, end_row=r + draw(st.integers(0, 2)),
                           end_column=c + draw(st.integers(0, 2)))
        elif op == "insert_row":
            ws.insert_rows(r, draw(st.integers(1, 3)))
        elif op == "delete_col":
            ws.delete_cols(c)
        elif draw(st.booleans()):
            wb.copy_worksheet(ws)  # a second sheet with the same header: read as well, its duplicates reported
        else:
            extra = wb.create_sheet(f"x{len(wb.sheetnames)}{draw(sheet_names)}"[:31])
            for _ in range(draw(st.integers(0, 4))):
                extra.append(draw(st.lists(hostile_values, max_size=6)))
    buffer = io.BytesIO()
    wb.save(buffer)
    return Drawn(_damage(buffer.getvalue(), draw)), wb


def _damage(data: bytes, draw) -> bytes:
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    marked = re.compile(rb'<c r="([A-Z]+\d+)"( s="\d+")? t="inlineStr"><is><t>' + re.escape(MARK.encode()) +
                        rb"</t></is></c>")
    with zipfile.ZipFile(out, "w") as z:
        for item in source.infolist():
            part = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                part = marked.sub(lambda m: draw(st.sampled_from(DAMAGED)).replace("REF", m.group(1).decode())
                                  .encode(), part)
            z.writestr(item, part)
    return out.getvalue()


def assert_located(problems: list, wb: Workbook, expected_sheets=()) -> None:
    """Each problem names a sheet of the workbook, a row, and a column whose letter holds the header it names."""
    for p in problems:
        sheet, row, column, message = (p.sheet, p.row, p.column, p.message) if hasattr(p, "sheet") else (
            p["sheet"], p["row"], p["column"], p["message"])
        assert message and isinstance(row, int) and row >= 0, p
        if currently_in_test_context():  # how often the damaged paths are reached: --hypothesis-show-statistics
            event("unreadable cell or sheet" if "无法读取" in message else "other problem")
        assert sheet in wb.sheetnames or sheet in expected_sheets, p
        if not column:  # only a whole sheet: no header, no such sheet, or XML that cannot be read past a row
            assert re.search("表头|工作表|无法读取", message), p
            continue
        m = re.fullmatch(r"([A-Z]{1,3})(?:–([A-Z]{1,3}))? \((.+)\)|([A-Z]{1,3})|(.+)（表中无此列）", column)
        assert m, p
        if m.group(1) and sheet in wb.sheetnames and m.group(3) not in ("节点",):
            ws, header = wb[sheet], m.group(3)
            top = [ws.cell(r, column_index_from_string(m.group(1))).value for r in range(1, 8)]
            # Excel keeps 15 digits of a number and milliseconds of a time: such a header reads back rounded.
            rounded = any(isinstance(v, (float, time, datetime)) for v in top)
            # A header cell that is itself damaged is named by what is wrong with it (the letter still locates it).
            damaged_header = header.startswith("单元格内容无法读取")
            assert header in [text(v) for v in top] or rounded or damaged_header, (p, top)


def read_or_refused(read, data: bytes):
    try:
        return read(data)
    except Invalid as exc:
        assert exc.code in ("not_a_workbook", "bad_excel")
        return None


def book_sheet() -> list[tuple]:
    rows = [("徐汇区2026年度目标书",), L.columns("quarter")]
    for r in BOOK:
        rows.append((*r[:5], *[("" if v is None else v) for v in r[5]], *r[6:15], r[15], r[16], "是", ""))
    return rows


@PROPERTY
@given(st.data())
def test_target_book_reading_never_crashes_and_locates_every_problem(data):
    raw, wb = data.draw(hostile([("目标书", book_sheet())]))
    book = read_or_refused(lambda d: read_book(d, 2026, Directory()), raw)
    if book is not None:
        assert_located(book.problems, wb)


@PROPERTY
@given(st.data())
def test_directory_reading_never_crashes_and_locates_every_problem(data):
    raw, wb = data.draw(hostile([(UNIT_SHEET, [UNIT_COLUMNS, *UNITS]), (LEADER_SHEET, [LEADER_COLUMNS, *LEADERS])]))
    rows = read_or_refused(read_directory, raw)
    if rows is not None:
        assert_located(rows.problems, wb, expected_sheets=(UNIT_SHEET,))


@PROPERTY
@given(st.data())
def test_evaluation_sheet_reading_never_crashes_and_locates_every_problem(data):
    good = [("B1", "领导评价", "区长", 90, ""), ("B2", "第三方评估", "调查机构", 77.5, "问卷")]
    raw, wb = data.draw(hostile([("评价", [EVAL_HEADERS, *good])]))
    sheet = read_or_refused(read_evaluation_sheet, raw)
    if sheet is None:
        return
    _, errors = split_batch([r for _, r in sheet.rows], EvaluationRow)
    numbers = [n for n, _ in sheet.rows]
    located = sheet.problems + [sheet.locate({**e, "index": numbers[e["index"]]}) for e in errors]
    assert_located(located, wb)


names = st.text(st.sampled_from("区科委发展改革街道甲乙丙丁戊ABCxyz0123"), min_size=1, max_size=12)
codes = st.from_regex(r"[A-Z][A-Z0-9\-]{1,10}", fullmatch=True)


@PROPERTY
@given(st.lists(st.tuples(names, st.sampled_from(list(L.CATEGORY_LABELS.values())), codes,
                          st.lists(names, min_size=4, max_size=4), st.integers(0, 1000)), min_size=1, max_size=12))
def test_a_valid_target_book_round_trips(targets):
    rows = [(str(i + 1), "方面", title, "", "", *quarters, lead, "", "", "", category, "", "", "", weight)
            for i, (title, category, lead, quarters, weight) in enumerate(targets)]
    wb = Workbook()
    wb.active.append(L.columns("quarter")[:len(rows[0])])
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    book = read_book(buffer.getvalue(), 2026, Directory())
    assert book.problems == []
    got = [(t["title"], t["category"], t["lead_unit"], [m["deliverable"] for m in t["milestones"]], t["weight"])
           for t in book.targets]
    assert got == [(title, L.CATEGORY_BY_LABEL[category], lead, quarters, weight)
                   for title, category, lead, quarters, weight in targets]
    assert [m["due_date"] for m in book.targets[0]["milestones"]] == ["2026-03-31", "2026-06-30", "2026-09-30",
                                                                      "2026-12-31"]


@PROPERTY
@given(st.dictionaries(codes, st.tuples(names, st.sampled_from(list(KIND_LABELS.values())), names), min_size=1,
                       max_size=10))
def test_a_valid_directory_round_trips(units):
    wb = Workbook()
    wb.active.title = UNIT_SHEET
    wb.active.append(UNIT_COLUMNS)
    first = next(iter(units))
    for code, (name, kind, group) in units.items():
        wb.active.append((code, name, kind, first if code != first else "", group))
    leaders = wb.create_sheet(LEADER_SHEET)
    leaders.append(LEADER_COLUMNS)
    leaders.append(("L-1", "李明", "副区长", "、".join(units)))
    buffer = io.BytesIO()
    wb.save(buffer)
    rows = read_directory(buffer.getvalue())
    assert rows.problems == []
    assert {c: (u.name, KIND_LABELS[u.kind], u.assessment_group, u.parent) for c, u in rows.units.items()} == {
        c: (name, kind, group, first if c != first else None) for c, (name, kind, group) in units.items()}
    assert rows.leaders["L-1"].units == list(units)


@PROPERTY
@given(st.lists(st.tuples(codes, st.sampled_from(list(KINDS)), names,
                          st.integers(0, 10_000).map(lambda n: n / 100), names), min_size=1, max_size=20))
def test_a_valid_evaluation_sheet_round_trips(rows):
    wb = Workbook()
    wb.active.append(EVAL_HEADERS)
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    sheet = read_evaluation_sheet(buffer.getvalue())
    good, errors = split_batch([r for _, r in sheet.rows], EvaluationRow)
    assert sheet.problems == [] and errors == []
    assert [n for n, _ in sheet.rows] == list(range(2, len(rows) + 2))
    assert [(r.unit, r.kind, r.evaluator, r.score, r.comment) for _, r in good] == [
        (u, KINDS[k], e, s, c) for u, k, e, s, c in rows]


@pytest.mark.parametrize("value", [date(2026, 3, 31), datetime(2026, 3, 31, 8), time(8, 30), 1e308, -0.0])
def test_odd_cell_types_are_problems_of_their_cell(value):
    rows = book_sheet()
    rows[2] = (value, *rows[2][1:])
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    book = read_book(buffer.getvalue(), 2026, Directory())
    assert_located(book.problems, wb)


@pytest_asyncio.fixture(scope="module")
async def apis(make_database, amqp_url, infra, redis_prefix):
    """Planning's and assessment's real apps on their own databases; the scope is registered for the directory."""
    async with AsyncExitStack() as stack:
        found = {}
        for name in ("planning", "assessment"):
            url = await make_database(f"hostile_excel_{name}")
            await upgrade_async(migrations(name), url)
            config = settings_class(name)(database_url=url, amqp_url=amqp_url, redis_url=infra.redis_url,
                                          redis_prefix=redis_prefix, db_pool_size=2)
            found[name] = await stack.enter_async_context(running_app(create_app(name, config)))
        office = bearer(config, "target_office", None, "hx")
        r = await found["planning"].put("/api/v1/scopes/hx", json={"name": "测试区"}, headers=office)
        assert r.status_code == 200, r.text
        yield found, office, bearer(config, "assessor", None, "hx")


API = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@API
@given(st.data())
async def test_the_dry_runs_answer_hostile_workbooks_without_a_500(apis, data):
    (clients, office, assessor), planning = apis, apis[0]["planning"]
    kind = data.draw(st.sampled_from(["book", "directory", "evaluations"]))
    sheets = {"book": [("目标书", book_sheet())],
              "directory": [(UNIT_SHEET, [UNIT_COLUMNS, *UNITS]), (LEADER_SHEET, [LEADER_COLUMNS, *LEADERS])],
              "evaluations": [("评价", [EVAL_HEADERS, ("B1", "领导评价", "区长", 90, "")])]}[kind]
    raw, wb = data.draw(hostile(sheets))
    files = {"file": ("hostile.xlsx", bytes(raw))}
    if kind == "evaluations":
        r = await clients["assessment"].post("/api/v1/evaluations/import", data={"scope": "hx", "year": "2026"},
                                             files=files, headers=assessor)
    else:
        path = "/api/v1/books/hx/2026/import" if kind == "book" else "/api/v1/directory/hx/import"
        r = await planning.post(path, params={"dry_run": "true"}, files=files, headers=office)
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert r.json()["error"] in ("not_a_workbook", "bad_excel", "value_not_storable"), r.text
        return
    body = r.json()
    assert_located(body.get("problems", body.get("errors", [])), wb, expected_sheets=(UNIT_SHEET,))

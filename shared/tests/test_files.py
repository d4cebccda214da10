"""Download headers and spreadsheet rows built from user text."""
from io import BytesIO
from urllib.parse import unquote

from openpyxl import Workbook, load_workbook

from bihuan_shared.web.files import attachment, row


def test_attachment_keeps_the_exact_name_and_a_latin1_fallback():
    header = attachment("执行情况报告_徐汇区_2026-03-31.xlsx")["Content-Disposition"]
    header.encode("latin-1")  # a header must be Latin-1: no UnicodeEncodeError
    assert "filename*=UTF-8''" in header
    assert unquote(header.split("filename*=UTF-8''")[1]) == "执行情况报告_徐汇区_2026-03-31.xlsx"
    assert 'filename="2026-03-31.xlsx"' in header


def test_attachment_cannot_be_used_to_inject_header_parts():
    header = attachment('x";\r\nSet-Cookie: a=b.xlsx')["Content-Disposition"]
    assert "\r" not in header and "\n" not in header and header.count('"') == 2


def test_row_strips_what_a_cell_cannot_hold_and_keeps_the_rest():
    wb = Workbook()
    wb.active.append(row(["说明\x00\x07含控制字符", 3, None, "换行\n保留"]))
    out = BytesIO()
    wb.save(out)  # openpyxl raises IllegalCharacterError without row()
    values = [c.value for c in load_workbook(BytesIO(out.getvalue())).active[1]]
    assert values == ["说明含控制字符", 3, None, "换行\n保留"]

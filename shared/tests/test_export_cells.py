"""Exports never carry a live formula from user text (issue 12 #8): what openpyxl writes, read back from the XML."""
import io
import zipfile

from openpyxl import Workbook

from bihuan_shared.web.files import append_row


def test_text_that_looks_like_a_formula_is_written_as_text_and_numbers_stay_numbers():
    wb = Workbook()
    ws = wb.active
    append_row(ws, ["=1+2", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=x", "\r=y", "正常文本", -3, 4.5, None])
    out = io.BytesIO()
    wb.save(out)
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert [c.data_type for c in ws[1]][:8] == ["s"] * 7 + ["n"]
    assert all(c.quotePrefix for c in ws[1][:6]) and not ws[1][6].quotePrefix
    assert ws["H1"].value == -3 and ws["I1"].value == 4.5


def test_without_append_row_openpyxl_would_write_a_formula():
    """The control: the same text through a plain append is a formula, so the test above can fail."""
    wb = Workbook()
    wb.active.append(["=1+2"])
    out = io.BytesIO()
    wb.save(out)
    assert "<f>" in zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()

"""Writes the sample workbooks next to this script: `.venv/bin/python services/planning/samples/make_samples.py`.

xuhui-directory.xlsx  the district's units (条/块/驻区单位, assessment groups) and leaders in charge
xuhui-2026-book.xlsx  its 2026 target book in the common quarterly layout (areas, targets, sub-items)"""
from pathlib import Path

from bihuan_planning.samples import book_workbook, directory_workbook

HERE = Path(__file__).parent

if __name__ == "__main__":
    (HERE / "xuhui-directory.xlsx").write_bytes(directory_workbook())
    (HERE / "xuhui-2026-book.xlsx").write_bytes(book_workbook())
    print(f"wrote {HERE / 'xuhui-directory.xlsx'} and {HERE / 'xuhui-2026-book.xlsx'}")

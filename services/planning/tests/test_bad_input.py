"""Bad input gets a clear 4xx naming what is wrong, never a 500."""
import io

from openpyxl import Workbook


def _sheet(rows: list[tuple]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def test_bad_requests_are_refused_with_reasons(client, as_, directory, publish):
    office = as_("target_office")
    cases = [
        ("post", f"/api/v1/books/{directory}/2026/import", {"files": {"file": ("x.xlsx", _sheet([("名称",), ("x",)]))}},
         422, "workbook_invalid"),
        ("post", f"/api/v1/books/{directory}/99999/import", {"files": {"file": ("x.xlsx", _sheet([("x",)]))}},
         422, "validation_failed"),
        ("post", f"/api/v1/directory/{directory}/import", {"files": {"file": ("x.xlsx", b"")}}, 422, "file_empty"),
        ("patch", "/api/v1/targets/nope", {"json": {"title": "x"}}, 404, "target_not_found"),
        ("post", "/api/v1/adjustments/nope/approve", {"json": {}}, 404, "adjustment_not_found"),
        ("put", f"/api/v1/scopes/{'x' * 80}", {"json": {"name": "x"}}, 422, "bad_code"),
        ("put", "/api/v1/scopes/not-mine", {"json": {"name": "x", "kind": "district"}}, 403, "scope_forbidden"),
        ("put", f"/api/v1/directory/{directory}/units/bad code", {"json": {"name": "x", "kind": "line_department"}},
         422, "bad_code"),
        ("put", f"/api/v1/directory/{directory}/leaders/L-X", {"json": {"name": "x", "units": ["U-NOPE"]}},
         422, "unknown_unit"),
        ("post", "/api/v1/contracts", {"json": {"scope": directory, "year": 2026, "unit": "U-SW"}}, 422, "no_targets"),
        ("post", "/api/v1/contracts", {"json": {"scope": directory, "year": 2026, "unit": "U-KW", "leader": "L-X"}},
         422, "unknown_leader"),
        ("get", f"/api/v1/books/{directory}/2031/export.xlsx", {}, 404, "book_not_found"),
    ]
    await publish(directory, "B-1")
    target = await publish(directory, "B-2")
    cases += [
        ("post", f"/api/v1/targets/{target['id']}/adjustments", {"json": {"kind": "change", "reason": "调整"}},
         422, "validation_failed"),
        ("post", f"/api/v1/targets/{target['id']}/proposal", {"files": {"file": ("p.pdf", b"%PDF")}},
         409, "target_not_editable"),
    ]
    for method, url, kwargs, status, error in cases:
        r = await getattr(client, method)(url, headers=office, **kwargs)
        assert (r.status_code, r.json().get("error")) == (status, error), (method, url, r.text)
        assert r.json()["message"]

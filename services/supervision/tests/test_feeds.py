"""Each feed path with mixed good and bad records, duplicates and out-of-order updates, on the real servers."""
import io
import csv

import aio_pika
import orjson
import pytest
from openpyxl import Workbook

from bihuan_shared.events.limits import MAX_MESSAGE_BYTES
from bihuan_shared.testing.queues import dead_letter_reasons, queue_declared
from bihuan_shared.testing.services import bearer, eventually
from bihuan_supervision.sample_orders import order, step

pytestmark = pytest.mark.asyncio(loop_scope="session")

CLOSED = [step("受理", "2026-03-02T09:00:00+08:00"), step("签收", "2026-03-02T10:00:00+08:00"),
          step("办结", "2026-03-05T10:00:00+08:00")]


def feed(settings):
    return bearer(settings, "feed", scope="demo", user="12345-center")


async def test_http_batch_stores_good_records_and_answers_every_bad_one(client, settings):
    records = [order("H-1"), {"version": 1}, order("H-2", received_at="昨天"),
               order("H-3", status_history=[step("已受理", "2026-03-02T09:00:00")]), "not an object", order("H-4")]
    r = await client.post("/api/v1/feeds/hotline/records", json=records, headers=feed(settings))
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["received"], answer["stored"], answer["rejected"]) == (6, 2, 4)
    by_index = {(e["index"], e["field"]) for e in answer["errors"]}
    assert {(1, "order_id"), (1, "received_at"), (1, "category"), (2, "received_at"),
            (3, "status_history.0.status"), (4, "")} <= by_index
    got = await client.get("/api/v1/hotline/orders/H-4", headers=bearer(settings, "supervisor"))
    assert got.status_code == 200 and got.json()["status"] == "派单"
    missing = await client.get("/api/v1/hotline/orders/H-2", headers=bearer(settings, "supervisor"))
    assert missing.status_code == 404


async def test_out_of_order_and_duplicate_updates_never_go_back(client, settings):
    newer = order("H-10", version=3, status_history=CLOSED, resolved=True, satisfaction="满意")
    older = order("H-10", version=2)
    first = await client.post("/api/v1/feeds/hotline/records", json=[newer], headers=feed(settings))
    again = await client.post("/api/v1/feeds/hotline/records", json=[older, newer], headers=feed(settings))
    assert first.json()["stored"] == 1
    assert (again.json()["stored"], again.json()["updated"], again.json()["unchanged"]) == (0, 0, 2)
    held = (await client.get("/api/v1/hotline/orders/H-10", headers=bearer(settings, "supervisor"))).json()
    assert (held["version"], held["status"], held["satisfaction"]) == (3, "办结", 4)
    newest = order("H-10", version=4, status_history=CLOSED + [step("回访", "2026-03-06T10:00:00+08:00")])
    r = await client.post("/api/v1/feeds/hotline/records", json=[newest], headers=feed(settings))
    assert r.json()["updated"] == 1


async def test_batch_limits_and_access_are_enforced(client, settings):
    too_many = [order(f"L-{i}") for i in range(settings.feed_max_records + 1)]
    r = await client.post("/api/v1/feeds/hotline/records", json=too_many, headers=feed(settings))
    assert r.status_code == 413 and r.json()["error"] == "feed_batch_too_large"
    r = await client.post("/api/v1/feeds/hotline/records", content=b"{oops", headers=feed(settings))
    assert r.status_code == 422 and r.json()["error"] == "feed_body_invalid"
    r = await client.post("/api/v1/feeds/hotline/records", json=[order("X")], headers=bearer(settings, "supervisor"))
    assert r.status_code == 403
    assert (await client.post("/api/v1/feeds/hotline/records", json=[order("X")])).status_code == 401
    r = await client.post("/api/v1/feeds/weather/records", json=[], headers=feed(settings))
    assert r.status_code == 404


async def test_window_ratings_and_center_cases_share_the_pattern(client, settings):
    ratings = [{"rating_id": "R-1", "version": 1, "unit": "U-ZW", "window": "3号窗口", "service_item": "营业执照",
                "rated_at": "2026-03-03T10:00:00+08:00", "level": "非常满意"},
               {"rating_id": "R-2", "version": 1, "unit": "U-ZW", "rated_at": "2026-03-03T10:00:00", "level": "很好"}]
    r = await client.post("/api/v1/feeds/service_window/records", json=ratings, headers=feed(settings))
    assert (r.json()["stored"], r.json()["errors"][0]["field"]) == (1, "level")
    cases = [{"case_id": "C-1", "version": 1, "center": "网格化中心", "unit": "U-CG",
              "received_at": "2026-03-03T10:00:00+08:00", "deadline": "2026-03-05T10:00:00+08:00",
              "closed_at": "2026-03-04T10:00:00+08:00", "outcome": "resolved"},
             {"case_id": "C-2", "version": 1, "center": "网格化中心", "unit": "U-CG",
              "received_at": "2026-03-03T10:00:00+08:00", "closed_at": "2026-03-01T10:00:00+08:00"}]
    r = await client.post("/api/v1/feeds/three_centers/records", json=cases, headers=feed(settings))
    assert (r.json()["stored"], r.json()["errors"][0]["field"]) == (1, "closed_at")


async def test_file_import_csv_jsonl_and_excel(client, settings):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["order_id", "version", "received_at", "category", "assigned_unit",
                                     "status_history", "resolved"])
    writer.writeheader()
    writer.writerow({"order_id": "F-1", "version": "1", "received_at": "2026-03-04 08:00:00", "category": "噪声",
                     "assigned_unit": "U-HB", "status_history": orjson.dumps(CLOSED).decode(), "resolved": "是"})
    writer.writerow({"order_id": "F-2", "version": "x", "received_at": "2026-03-04 08:00:00", "category": "噪声"})
    files = {"file": ("backfill.csv", buffer.getvalue().encode("utf-8-sig"), "text/csv")}
    r = await client.post("/api/v1/feeds/hotline/files", files=files, headers=bearer(settings, "supervisor"))
    assert r.status_code == 200, r.text
    assert (r.json()["stored"], r.json()["errors"]) == (1, [{"index": 1, "field": "version", "message": "应为整数"}])

    lines = orjson.dumps(order("F-3")) + b"\n{broken\n" + orjson.dumps(order("F-4")) + b"\n"
    r = await client.post("/api/v1/feeds/hotline/files", files={"file": ("a.jsonl", lines)}, headers=feed(settings))
    assert (r.json()["stored"], r.json()["rejected"], r.json()["errors"][0]["index"]) == (2, 1, 1)

    book = Workbook()
    sheet = book.active
    sheet.append(["order_id", "version", "received_at", "category", "assigned_unit"])
    sheet.append(["F-5", 1, "2026-03-04T08:00:00", "噪声", "U-HB"])
    sheet.append([None, 1, "2026-03-04T08:00:00", "噪声", "U-HB"])
    data = io.BytesIO()
    book.save(data)
    r = await client.post("/api/v1/feeds/hotline/files", files={"file": ("b.xlsx", data.getvalue())},
                          headers=feed(settings))
    assert (r.json()["stored"], r.json()["errors"][0]["field"]) == (1, "order_id")
    r = await client.post("/api/v1/feeds/hotline/files", files={"file": ("c.txt", b"x")}, headers=feed(settings))
    assert r.status_code == 422 and r.json()["error"] == "feed_file_type"


async def test_a_damaged_excel_cell_is_one_bad_record_not_a_failed_file(client, settings):
    """A cell whose stored value does not fit its type (a number cell holding text) is refused in its field; the
    other rows are stored. XML that cannot be read at all is a clear 422."""
    import zipfile

    book = Workbook()
    book.active.append(["order_id", "version", "received_at", "category", "assigned_unit"])
    book.active.append(["X-1", 1, "2026-03-04T08:00:00", "噪声", "U-HB"])
    book.active.append(["X-2", 7, "2026-03-04T08:00:00", "噪声", "U-HB"])
    data = io.BytesIO()
    book.save(data)

    def rewrite(change) -> bytes:
        source, out = zipfile.ZipFile(io.BytesIO(data.getvalue())), io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for item in source.infolist():
                body = source.read(item)
                z.writestr(item, change(body) if item.filename == "xl/worksheets/sheet1.xml" else body)
        return out.getvalue()

    damaged = rewrite(lambda xml: xml.replace(b'<c r="B3" t="n"><v>7</v></c>', b'<c r="B3" t="n"><v>abc</v></c>'))
    assert damaged != data.getvalue()
    r = await client.post("/api/v1/feeds/hotline/files", files={"file": ("d.xlsx", damaged)}, headers=feed(settings))
    assert r.status_code == 200, r.text
    assert (r.json()["stored"], [(e["index"], e["field"]) for e in r.json()["errors"]]) == (1, [(1, "version")])
    broken = rewrite(lambda xml: xml.replace(b"</sheetData>", b"<row r=\"9\"><c"))
    r = await client.post("/api/v1/feeds/hotline/files", files={"file": ("e.xlsx", broken)}, headers=feed(settings))
    assert r.status_code == 422 and r.json()["error"] == "feed_file_unreadable", r.text


async def test_amqp_queue_stores_good_orders_and_dead_letters_bad_ones(client, worker, settings):
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        await queue_declared(connection, settings.hotline_queue)
        channel = await connection.channel(publisher_confirms=True)
        bodies = [orjson.dumps(order("Q-1")), b"{not json", orjson.dumps(order("Q-2", assigned_unit=["x"])),
                  orjson.dumps([order("Q-3"), order("Q-4", version=2)]),
                  orjson.dumps(order("Q-3", version=0))]  # older than the one in the array: ignored
        for body in bodies:
            await channel.default_exchange.publish(aio_pika.Message(body), routing_key=settings.hotline_queue)

        async def stored():
            got = await client.get("/api/v1/hotline/orders/Q-4", headers=bearer(settings, "supervisor"))
            assert got.status_code == 200
        await eventually(stored)
        for oid in ("Q-1", "Q-3"):
            got = await client.get(f"/api/v1/hotline/orders/{oid}", headers=bearer(settings, "supervisor"))
            assert got.json()["version"] == 1
        reasons = await dead_letter_reasons(channel, settings.hotline_queue, 2)
        assert any("JSON" in r for r in reasons) and any("assigned_unit" in r for r in reasons)


async def test_hotline_queue_has_a_cap_of_its_own(client, worker, settings):
    """Hotline messages carry arrays of orders: 2 MiB (over the 1 MiB cap of an event) is stored, a message over
    hotline_max_message_bytes (16 MiB) is dead-lettered unread (issue 12 #10)."""
    orders = [order(f"QB-{i}") for i in range(4600)]
    array = orjson.dumps(orders)
    assert MAX_MESSAGE_BYTES < len(array) < settings.hotline_max_message_bytes
    too_big = b"[" + b" " * settings.hotline_max_message_bytes + b"]"
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        await queue_declared(connection, settings.hotline_queue)
        channel = await connection.channel(publisher_confirms=True)
        for body in (array, too_big, orjson.dumps(order("QB-after"))):
            await channel.default_exchange.publish(aio_pika.Message(body), routing_key=settings.hotline_queue)

        async def stored():
            for oid in (orders[-1]["order_id"], "QB-after"):
                got = await client.get(f"/api/v1/hotline/orders/{oid}", headers=bearer(settings, "supervisor"))
                assert got.status_code == 200, oid
        await eventually(stored, timeout=30)
        reasons = await dead_letter_reasons(channel, settings.hotline_queue, 1)
        assert reasons[0].startswith("message too large")


async def test_text_postgresql_cannot_store_is_one_bad_record(client, settings):
    records = [order("NUL-1", content="河边\u0000有违章"), order("NUL-2", street="街道\u0000"), order("NUL-3")]
    r = await client.post("/api/v1/feeds/hotline/records", json=records, headers=feed(settings))
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 1
    assert {(e["index"], e["field"]) for e in r.json()["errors"]} == {(0, "content"), (1, "street")}
    # a lone surrogate escape: valid JSON text, but not storable; answered as that record's field, the rest is kept
    lone = (b'[{"order_id": "S-1", "version": 1, "received_at": "2026-03-02T09:00:00+08:00", "category": "c",'
            b' "content": "\\ud800"}, ' + orjson.dumps(order("S-2")) + b']')
    r = await client.post("/api/v1/feeds/hotline/records", content=lone,
                          headers={**feed(settings), "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 1 and [(e["index"], e["field"]) for e in r.json()["errors"]] == [(0, "content")]
    r = await client.post("/api/v1/feeds/hotline/records", content=b'[{"order_id": "S-3"',
                          headers={**feed(settings), "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "feed_body_invalid"


async def test_a_feed_identity_over_its_request_budget_gets_429_and_others_are_not_affected(settings):
    from bihuan_shared.testing.services import running_app
    from bihuan_supervision.main import create_app

    tight = settings.model_copy(update={"feed_requests_per_minute": 2})
    async with running_app(create_app(tight)) as c:
        runaway = bearer(tight, "feed", scope="demo", user="runaway-center")
        codes = [(await c.post("/api/v1/feeds/hotline/records", json=[order(f"RL-{i}")], headers=runaway)).status_code
                 for i in range(3)]
        assert codes == [200, 200, 429]
        refused = await c.post("/api/v1/feeds/hotline/records", json=[order("RL-9")], headers=runaway)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error"] == "rate_limited" and refused.json()["details"]["limit"] == 2
        other = bearer(tight, "feed", scope="demo", user="another-center")
        assert (await c.post("/api/v1/feeds/hotline/records", json=[order("RL-10")], headers=other)).status_code == 200


@pytest.mark.parametrize("moment", ["2026-03-02T09:00:00.000001+08:00", "1969-12-31T23:59:59.999999-05:30",
                                    "0001-01-02T00:00:00+00:00", "9999-12-30T23:59:59.999999+08:00",
                                    "2026-03-02T09:00:00"])
async def test_times_are_stored_to_the_microsecond_whatever_the_year_or_offset(client, settings, moment):
    """Times reach PostgreSQL as microseconds since 2000 and are turned back there: exact, not rounded."""
    from bihuan_supervision.domain.feeds.common import local_moment
    from datetime import datetime

    oid = f"T-{abs(hash(moment))}"
    closed = [step("受理", moment), step("办结", moment)]
    r = await client.post("/api/v1/feeds/hotline/records", headers=feed(settings),
                          json=[order(oid, received_at=moment, status_history=closed)])
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    got = (await client.get(f"/api/v1/hotline/orders/{oid}", headers=bearer(settings, "supervisor"))).json()
    expected = local_moment(datetime.fromisoformat(moment))
    assert datetime.fromisoformat(got["received_at"]) == expected
    assert datetime.fromisoformat(got["closed_at"]) == expected

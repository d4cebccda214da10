"""12345 hotline work orders (工单): the lenient reader, for files (CSV, Excel, JSON lines) and any record the fast
reader (hotline_wire.py) refuses; it checks every field and names each problem. The row and the metric definitions
are in hotline_row.py."""
import msgspec
import orjson

from bihuan_supervision.domain.feeds.common import MAX_ID, MAX_TEXT, Checker, FeedSource, Wire
from bihuan_supervision.domain.feeds.hotline_row import MAX_HISTORY, SATISFACTION, STATUSES, in_time_order, order_row
from bihuan_supervision.domain.feeds.hotline_wire import WireOrder, wire_row

STATUS_SET = frozenset(STATUSES)


def parse_order(rec: dict, c: Checker) -> tuple | None:
    """A work order as a row, or None with its problems noted in c (every field checked, each problem named)."""
    order_id = c.text(rec, "order_id", required=True, max_len=MAX_ID)
    version = c.integer(rec, "version", required=True)
    received_at = c.moment(rec, "received_at", required=True)
    category = c.text(rec, "category", required=True)
    unit = c.text(rec, "assigned_unit", max_len=MAX_ID)
    history = _history(rec, c)
    sign_in_deadline = c.moment(rec, "sign_in_deadline")
    close_deadline = c.moment(rec, "close_deadline")
    resolved = c.flag(rec, "resolved")
    satisfaction = c.choice(rec, "satisfaction", SATISFACTION)
    repeat_of = c.text(rec, "repeat_of", max_len=MAX_ID)
    given_status = c.choice(rec, "status", {s: s for s in STATUSES})
    texts = (c.text(rec, "channel"), c.text(rec, "sub_category"), c.text(rec, "district"), c.text(rec, "street"),
             c.text(rec, "content", max_len=MAX_TEXT))
    if c.errors:
        return None
    return order_row(order_id, version, received_at, category, unit, texts, history, given_status,
                     sign_in_deadline, close_deadline, resolved, satisfaction, repeat_of)


def _history(rec: dict, c: Checker) -> list:
    value = rec.get("status_history")
    if value is None or value == "":
        return []
    if isinstance(value, str):  # CSV / Excel carry the history as a JSON text
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            c.fail("status_history", "应为 JSON 数组")
            return []
    if not isinstance(value, list) or len(value) > MAX_HISTORY:
        c.fail("status_history", f"应为不超过 {MAX_HISTORY} 项的数组")
        return []
    steps = []
    for i, step in enumerate(value):
        if type(step) is not dict or step.get("status") not in STATUS_SET:
            c.fail(f"status_history.{i}.status", f"取值应为: {'、'.join(STATUSES)}")
            continue
        at = c.moment_of(step.get("at"), f"status_history.{i}.at", required=True)
        if at is not None:
            steps.append((step["status"], at))
    return in_time_order(steps)


HOTLINE = FeedSource(
    name="hotline", title="12345 热线工单", table="hotline_orders", key="order_id",
    columns=("order_id", "version", "received_at", "channel", "category", "sub_category", "district", "street",
             "content", "assigned_unit", "status", "status_history", "sign_in_deadline", "close_deadline",
             "signed_at", "closed_at", "resolved", "satisfaction", "repeat_of"),
    parse=parse_order,
    wire=Wire(msgspec.json.Decoder(WireOrder), wire_row),
)

"""12345 hotline work orders (工单): validation, derived times, and each order's metric contribution.

Metric definitions (per assigned unit and month of receipt, local time):
  on-time sign-in rate = signed at or before the sign-in deadline / orders with a sign-in deadline
  on-time closing rate = closed at or before the closing deadline / closed orders
  resolution rate      = closed and resolved / closed orders
  satisfaction rate    = rated 非常满意, 满意 or 基本满意 / rated orders
  repeat-call rate     = orders linked to an earlier order (repeat call) / orders"""
import orjson

from bihuan_supervision.domain.feeds.common import MAX_ID, MAX_TEXT, Checker, FeedSource, local_day, month_of

STATUSES = ("受理", "派单", "签收", "办理", "回复", "回访", "办结", "退单", "延期")
STATUS_SET = frozenset(STATUSES)
SATISFACTION = {"非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "非常不满意": 1,
                "5": 5, "4": 4, "3": 3, "2": 2, "1": 1}
MAX_HISTORY = 100


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
    return _assemble(order_id, version, received_at, category, unit, texts, history, given_status,
                     sign_in_deadline, close_deadline, resolved, satisfaction, repeat_of)


def _assemble(order_id, version, received_at, category, unit, texts, history, given_status,
              sign_in_deadline, close_deadline, resolved, satisfaction, repeat_of) -> tuple:
    status = history[-1][0] if history else given_status or "受理"
    signed_at = _first(history, "签收")
    closed_at = _first(history, "办结")
    day = local_day(received_at)
    closed = closed_at is not None
    contrib = [
        1,
        int(sign_in_deadline is not None),
        int(signed_at is not None and sign_in_deadline is not None and signed_at <= sign_in_deadline),
        int(closed),
        int(closed and close_deadline is not None and closed_at <= close_deadline),
        int(closed and resolved is True),
        int(satisfaction is not None),
        int(satisfaction is not None and satisfaction >= 3),
        int(repeat_of is not None),
        0,
    ]
    # The checked steps only, in time order (extra keys a source adds are not kept: they were not checked).
    history_json = orjson.dumps([{"status": s, "at": at} for s, at in history]).decode() if history else "[]"
    channel, sub_category, district, street, content = texts
    return (order_id, version, received_at, channel, category, sub_category, district, street, content, unit,
            status, history_json, sign_in_deadline, close_deadline, signed_at, closed_at, resolved,
            satisfaction, repeat_of, unit, month_of(day), day, category, contrib)


def _history(rec: dict, c: Checker) -> list[tuple[str, object]]:
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
    if any(steps[k][1] > steps[k + 1][1] for k in range(len(steps) - 1)):
        steps.sort(key=lambda s: s[1])
    return steps


def _first(history: list[tuple[str, object]], status: str):
    return next((at for s, at in history if s == status), None)


HOTLINE = FeedSource(
    name="hotline", title="12345 热线工单", table="hotline_orders", key="order_id",
    columns=("order_id", "version", "received_at", "channel", "category", "sub_category", "district", "street",
             "content", "assigned_unit", "status", "status_history", "sign_in_deadline", "close_deadline",
             "signed_at", "closed_at", "resolved", "satisfaction", "repeat_of"),
    parse=parse_order,
)

"""A 12345 work order as a row of hotline_orders: its derived times, current status and metric contribution.

Both readers of an order (the lenient one for files and odd shapes, hotline.py; the strict fast one for the hotline
center's canonical JSON, hotline_wire.py) end here, so an order stores the same row whichever way it came.

Metric definitions (per assigned unit and month of receipt, local time):
  on-time sign-in rate = signed at or before the sign-in deadline / orders with a sign-in deadline
  on-time closing rate = closed at or before the closing deadline / closed orders
  resolution rate      = closed and resolved / closed orders
  satisfaction rate    = rated 非常满意, 满意 or 基本满意 / rated orders
  repeat-call rate     = orders linked to an earlier order (repeat call) / orders"""
from datetime import datetime

import orjson

from bihuan_supervision.domain.feeds.common import local_day, month_of

STATUSES = ("受理", "派单", "签收", "办理", "回复", "回访", "办结", "退单", "延期")
SATISFACTION = {"非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "非常不满意": 1,
                "5": 5, "4": 4, "3": 3, "2": 2, "1": 1}
MAX_HISTORY = 100

Step = tuple[str, datetime]


def in_time_order(steps: list[Step]) -> list[Step]:
    """Centers sometimes list steps out of order; the first 签收 / 办结 and the current status need time order."""
    if any(steps[k][1] > steps[k + 1][1] for k in range(len(steps) - 1)):
        steps.sort(key=lambda s: s[1])
    return steps


def order_row(order_id, version, received_at, category, unit, texts, history: list[Step], given_status,
              sign_in_deadline, close_deadline, resolved, satisfaction, repeat_of) -> tuple:
    status = history[-1][0] if history else given_status or "受理"
    signed_at = _first(history, "签收")
    closed_at = _first(history, "办结")
    day = local_day(received_at)
    closed = closed_at is not None
    rated = satisfaction is not None
    # bit i = counts in COUNTERS[i]; written out rather than through common.counted: this runs for every order
    bits = (1
            | (sign_in_deadline is not None) << 1
            | (signed_at is not None and sign_in_deadline is not None and signed_at <= sign_in_deadline) << 2
            | closed << 3
            | (closed and close_deadline is not None and closed_at <= close_deadline) << 4
            | (closed and resolved is True) << 5
            | rated << 6
            | (rated and satisfaction >= 3) << 7
            | (repeat_of is not None) << 8)
    # The checked steps only, in time order (extra keys a source adds are not kept: they were not checked).
    history_json = orjson.dumps([{"status": s, "at": at} for s, at in history]).decode() if history else "[]"
    channel, sub_category, district, street, content = texts
    return (order_id, version, received_at, channel, category, sub_category, district, street, content, unit,
            status, history_json, sign_in_deadline, close_deadline, signed_at, closed_at, resolved,
            satisfaction, repeat_of, unit, month_of(day), day, category, bits)


def _first(history: list[Step], status: str):
    return next((at for s, at in history if s == status), None)

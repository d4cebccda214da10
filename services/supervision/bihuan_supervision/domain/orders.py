"""The supervision order's life (督办单), pure: who may do what in which state.

  issued ──reply──▶ replied ──accept──▶ accepted (closed)
     ▲                 │
     └───send back─────┘   (sent_back behaves like issued: the unit must reply again)
An order still waiting for the unit's reply after its deadline is escalated to the leader in charge, once."""
from datetime import date

from bihuan_shared.web.errors import Conflict

AWAITING_REPLY = frozenset({"issued", "sent_back"})
TRANSITIONS = {"reply": (AWAITING_REPLY, "replied"), "accept": ({"replied"}, "accepted"),
               "send_back": ({"replied"}, "sent_back")}
ACTION_WORDS = {"reply": "回复", "accept": "验收", "send_back": "退回"}


def next_status(current: str, action: str) -> str:
    allowed, target = TRANSITIONS[action]
    if current not in allowed:
        raise Conflict(f"督办单当前状态为 {current}，不能{ACTION_WORDS[action]}", code="order_state_conflict")
    return target


def due_for_escalation(status: str, escalated: bool, reply_by: date, today: date) -> bool:
    return status in AWAITING_REPLY and not escalated and today > reply_by

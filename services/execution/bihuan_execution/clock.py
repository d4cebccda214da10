"""What day it is for execution: due dates are calendar days in the city's time zone, not the server's.
Settings may pin the day so tests (and replays) can move time."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bihuan_execution.settings import ExecutionSettings


def today(settings: ExecutionSettings) -> date:
    return settings.today or datetime.now(ZoneInfo(settings.timezone)).date()


def now(settings: ExecutionSettings) -> datetime:
    return datetime.now(ZoneInfo(settings.timezone))

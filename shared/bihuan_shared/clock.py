"""The city's calendar day. Due dates are calendar days in the city's time zone (not the server's), and
BIHUAN_<SERVICE>_TODAY pins the day for a whole process: the demo district is shown as of a day in its year, and a
rehearsal can replay a season. Read once per process, like every other setting."""
import os
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

CITY_TIME_ZONE = ZoneInfo("Asia/Shanghai")


@lru_cache
def pinned_day(service: str) -> date | None:
    value = os.environ.get(f"BIHUAN_{service.upper()}_TODAY")
    return date.fromisoformat(value) if value else None


def today(service: str) -> date:
    return pinned_day(service) or datetime.now(CITY_TIME_ZONE).date()

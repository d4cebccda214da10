"""The demo's clock. The demo district is shown as of just after the first quarter (8 April), so that its numbers
read like Xuhui's Q1 report (210 of 221 milestones met, 11 lagging); `make demo-year` moves it to the year's end.
The launcher pins the services' day (BIHUAN_<SERVICE>_TODAY) to it when it runs the demo; a day the user set wins.
Once the year has been played, the clock stays at year end, so a later `make up` never shows reports "from the
future"."""
import os
from datetime import date
from pathlib import Path

MARKER = Path(os.environ.get("BIHUAN_VAR_DIR", "var")) / "demo-year-played"
PINNED = ("EXECUTION", "SUPERVISION", "ASSESSMENT", "PLANNING")


def demo_year() -> int:
    return int(os.environ.get("BIHUAN_DEMO_YEAR", date.today().year))


def demo_today() -> date:
    pinned = os.environ.get("BIHUAN_EXECUTION_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def pin_clock(whole_year: bool) -> date:
    year = demo_year()
    played = whole_year or MARKER.is_file()
    day = date(year, 12, 31) if played else date(year, 4, 8)
    for service in PINNED:
        os.environ.setdefault(f"BIHUAN_{service}_TODAY", day.isoformat())
    # The demo replays a year of reports on the days they were done: a replay, not backdating, so its execution
    # accepts report dates within the year (a real deployment keeps the default tolerance of a week).
    os.environ.setdefault("BIHUAN_EXECUTION_REPORT_BACKDATE_DAYS", "366")
    return demo_today()


def mark_year_played() -> None:
    MARKER.parent.mkdir(parents=True, exist_ok=True)
    MARKER.write_text(date.today().isoformat())

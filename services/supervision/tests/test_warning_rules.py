"""The warning rules as pure functions (no I/O)."""
from datetime import date, datetime

from bihuan_supervision.domain.warnings import (MilestoneState, Rules, TargetState, day_window, is_spike,
                                                wanted_for_target)

TODAY = date(2026, 5, 10)


def ms(mid, due, expected=None, completed=False, overdue=False, value=None, reported=None):
    return MilestoneState(mid, due, expected, completed, overdue, value, reported)


def target(*milestones, quantitative=False, direction="up", lags=0, cancelled=False):
    return TargetState("T", "河道治理", "U-A", "L-1", quantitative, direction, cancelled, list(milestones), lags, 2026)


def kinds(t, rules=Rules()):
    return sorted((w.kind, w.level, w.subject) for w in wanted_for_target(t, TODAY, rules))


def test_due_soon_without_progress_is_yellow_and_progress_clears_it():
    assert kinds(target(ms("M1", date(2026, 5, 15)))) == [("due_soon", "yellow", "M1")]
    assert kinds(target(ms("M1", date(2026, 5, 15), reported=datetime(2026, 5, 9)))) == []
    assert kinds(target(ms("M1", date(2026, 5, 30)))) == []
    assert kinds(target(ms("M1", date(2026, 5, 30))), Rules(yellow_days=30)) == [("due_soon", "yellow", "M1")]


def test_overdue_is_red_until_completed():
    assert kinds(target(ms("M1", date(2026, 5, 9)))) == [("overdue", "red", "M1")]
    assert kinds(target(ms("M1", date(2026, 6, 9), overdue=True))) == [("overdue", "red", "M1")]
    assert kinds(target(ms("M1", date(2026, 5, 9), completed=True))) == []
    assert kinds(target(ms("M1", date(2026, 5, 9)), cancelled=True)) == []


def test_behind_trajectory_in_either_direction_with_tolerance():
    done = ms("M1", date(2026, 4, 30), expected=50, completed=True)
    now = ms("M2", date(2026, 8, 30), value=44, reported=datetime(2026, 5, 1))
    assert kinds(target(done, now, quantitative=True)) == [("behind_trajectory", "yellow", "T")]
    ok = ms("M2", date(2026, 8, 30), value=46, reported=datetime(2026, 5, 1))  # within 10%
    assert kinds(target(done, ok, quantitative=True)) == []
    down = ms("M2", date(2026, 8, 30), value=56, reported=datetime(2026, 5, 1))
    assert kinds(target(done, down, quantitative=True, direction="down")) == [("behind_trajectory", "yellow", "T")]
    assert kinds(target(done, now, quantitative=False)) == []


def test_repeated_lags_and_hotline_spike():
    assert kinds(target(lags=2)) == [("repeated_lags", "yellow", "T")]
    assert kinds(target(lags=1)) == []
    assert is_spike(20, [0] * 7, Rules())
    assert not is_spike(19, [0] * 7, Rules())
    assert not is_spike(30, [20] * 7, Rules())
    assert is_spike(40, [20] * 7, Rules())


def test_a_day_window_is_the_day_and_the_seven_before_it_with_quiet_days_as_zero():
    per_day = {TODAY: 5, date(2026, 5, 7): 7, date(2026, 5, 3): 2, date(2026, 5, 2): 100, date(2026, 5, 11): 9}
    assert day_window(per_day, TODAY) == (5, [0, 0, 7, 0, 0, 0, 2])

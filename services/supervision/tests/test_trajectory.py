"""The expected value of a quantitative target between its milestones (linear by date), and the behind_trajectory
warning judged against it; every figure computed by hand."""
from datetime import date, datetime

from bihuan_supervision.domain.warnings import MilestoneState, Rules, TargetState, expected_by, wanted_for_target

# two quantified milestones 30 days apart: 40 on 1 April, 70 on 1 May (up); 80 then 50 (down)
UP = [(date(2026, 4, 1), 40.0), (date(2026, 5, 1), 70.0)]
DOWN = [(date(2026, 4, 1), 80.0), (date(2026, 5, 1), 50.0)]
JAN_1 = (date(2026, 1, 1), 0.0)


def test_between_two_milestones_the_expectation_moves_by_the_day():
    assert expected_by(UP, date(2026, 4, 11), JAN_1) == 50.0  # 40 + 30 × 10/30
    assert expected_by(UP, date(2026, 4, 16), JAN_1) == 55.0  # half way: half the step
    assert expected_by(DOWN, date(2026, 4, 11), None) == 70.0  # 80 − 30 × 10/30
    assert expected_by(UP, date(2026, 4, 1), JAN_1) == 40.0  # on a milestone's date: its own value
    assert expected_by(UP[::-1], date(2026, 4, 16), JAN_1) == 55.0  # order of the milestones does not matter


def test_before_the_first_milestone_from_the_start_of_the_year_or_nothing():
    first = [(date(2026, 4, 11), 100.0)]  # 11 April is day 100 after 1 January
    assert expected_by(first, date(2026, 2, 20), JAN_1) == 50.0  # day 50 of 100
    assert expected_by(first, date(2026, 1, 1), JAN_1) == 0.0
    assert expected_by(first, date(2025, 12, 31), JAN_1) is None  # the target's year has not begun
    assert expected_by(DOWN, date(2026, 3, 31), None) is None  # no starting point: nothing is expected yet


def test_after_the_last_milestone_the_last_value_stands():
    assert expected_by(UP, date(2026, 6, 10), JAN_1) == 70.0
    assert expected_by([], date(2026, 6, 10), JAN_1) == 0.0
    assert expected_by([], date(2026, 6, 10), None) is None


def ms(mid, due, expected=None, value=None, reported=None):
    return MilestoneState(mid, due, expected, False, False, value, reported)


def quantitative(direction: str, values: list[tuple[date, float]], actual: float) -> TargetState:
    milestones = [ms(f"M{i}", d, v) for i, (d, v) in enumerate(values, 1)]
    milestones.append(ms("M-LATE", date(2026, 9, 30), value=actual, reported=datetime(2026, 4, 10, 9)))
    return TargetState("T", "新增绿地面积", "U-A", "L-1", True, direction, False, milestones, 0, 2026)


def behind(t: TargetState, day: date, rules: Rules = Rules()) -> list[str]:
    return [w.message for w in wanted_for_target(t, day, rules) if w.kind == "behind_trajectory"]


def test_up_is_judged_against_the_interpolated_value_with_its_tolerance():
    day = date(2026, 4, 11)  # expected 50, 10% tolerance: below 45 is behind (against the 40 last due, 44 passed)
    assert behind(quantitative("up", UP, 44.0), day) == ["「新增绿地面积」进度落后于计划：当前 44，按期应达 50"]
    assert behind(quantitative("up", UP, 45.0), day) == []
    assert behind(quantitative("up", UP, 48.0), day, Rules(trajectory_tolerance=0.0)) == [
        "「新增绿地面积」进度落后于计划：当前 48，按期应达 50"]
    assert behind(quantitative("up", UP, 44.0), date(2026, 4, 1)) == []  # on the milestone's date: expected 40


def test_down_is_judged_against_the_interpolated_value_with_its_tolerance():
    day = date(2026, 4, 11)  # expected 70, 10% tolerance: above 77 is behind
    assert behind(quantitative("down", DOWN, 77.5), day) == ["「新增绿地面积」进度落后于计划：当前 77.5，按期应达 70"]
    assert behind(quantitative("down", DOWN, 77.0), day) == []
    assert behind(quantitative("down", DOWN, 95.0), date(2026, 3, 1)) == []  # before the first milestone


def test_before_the_first_milestone_an_upward_target_is_judged_from_zero_on_1_january():
    first = [(date(2026, 4, 11), 100.0)]
    assert behind(quantitative("up", first, 40.0), date(2026, 2, 20)) == [
        "「新增绿地面积」进度落后于计划：当前 40，按期应达 50"]
    assert behind(quantitative("up", first, 46.0), date(2026, 2, 20)) == []


def test_the_expected_value_is_shown_rounded():
    thirds = [(date(2026, 4, 1), 0.0), (date(2026, 4, 4), 1.0)]  # one day in: 1/3
    assert behind(quantitative("up", thirds, 0.0), date(2026, 4, 2)) == [
        "「新增绿地面积」进度落后于计划：当前 0，按期应达 0.33"]

"""Pure rules, no I/O: milestone status, lag reasons and period counts in the target office's words."""
from datetime import date, timedelta

from bihuan_execution.domain.cooperation import may_rate
from bihuan_execution.domain.evidence import content_matches
from bihuan_execution.domain.period import LagFact, MilestoneFact, TargetFact, count, structure
from bihuan_execution.domain.status import status_of, timeliness

D = date(2027, 3, 31)


def test_status_and_timeliness():
    assert [timeliness(D, D - timedelta(days=1)), timeliness(D, D), timeliness(D, D + timedelta(days=1))] == \
        ["early", "on_time", "late"]
    assert status_of(D, None, D - timedelta(days=8)) == "pending"
    assert status_of(D, None, D - timedelta(days=7)) == "due_soon"
    assert status_of(D, None, D) == "due_soon"
    assert status_of(D, None, D + timedelta(days=1)) == "overdue"
    assert status_of(D, D + timedelta(days=2), D + timedelta(days=9)) == "done_late"


def test_key_tasks_and_sub_items():
    targets = [TargetFact("k1", None), TargetFact("s1", "k1"), TargetFact("s2", "k1"), TargetFact("k2", None),
               TargetFact("s3", "k-elsewhere")]  # a sub-item whose key task is outside the report still counts it
    assert structure(targets) == (3, 4)


def test_xuhui_first_quarter_in_the_offices_words():
    """Xuhui 2017 Q1: 77 key tasks, 221 sub-items, 210 met (95%), 11 lagging (objective 9, subjective 2)."""
    targets, milestones = [], []
    for k in range(77):
        targets.append(TargetFact(f"k{k}", None))
    for s in range(221):
        targets.append(TargetFact(f"s{s}", f"k{s % 77}"))
        done = D - timedelta(days=3) if s < 210 else None
        lag = () if s < 210 else (LagFact("objective" if s < 219 else "subjective", "funding", "", "", None, D),)
        milestones.append(MilestoneFact(f"s{s}", f"m{s}", D, done, lag))
    c = count(targets, milestones, D)
    assert c.headline() == "77 项重点工作、221 个子项目：210 个节点完成（95%），11 个滞后（客观 9 个、主观 2 个）"
    assert (c.met_early, c.met_percent) == (210, 95.0)


def test_explanation_after_the_as_of_date_does_not_count():
    m = MilestoneFact("t", "m", D, None, (LagFact("objective", "weather", "", "", None, D + timedelta(days=5)),))
    assert count([TargetFact("t", None)], [m], D).lagging_unexplained == 1
    assert count([TargetFact("t", None)], [m], D + timedelta(days=5)).lagging_objective == 1


def test_rating_needs_a_delivery_or_a_passed_deadline():
    assert may_rate("delivered", None, D)
    assert not may_rate("confirmed", None, D)
    assert not may_rate("confirmed", D, D)
    assert may_rate("requested", D, D + timedelta(days=1))


def test_declared_type_must_match_content():
    assert content_matches("application/pdf", b"%PDF-1.4")
    assert not content_matches("image/png", b"GIF89a")
    assert content_matches("text/plain", b"anything")

"""Ties on a quota's boundary (名额并列): each rule of the scheme's quota_ties on one hand-computed group, with the
decision recorded on every tied unit's scorecard; then the same through the real API, scorecard and PDF.

The group (7 units, 优秀 ≥ 90 at most 50 % -> 3 places; score = 50 % leader evaluation + 50 % service indicators, the
mean of the hotline satisfaction rate and the on-time close rate):
    A  100 | 0.96 0.96 -> 50 + 48   = 98
    B   90 | 1.00 0.90 -> 45 + 47.5 = 92.5   tied with C and D for the 2 places A leaves
    C   95 | 0.90 0.90 -> 47.5 + 45 = 92.5
    D   90 | 0.90 1.00 -> 45 + 47.5 = 92.5
    G   91 | 0.91 0.91 -> 45.5 + 45.5 = 91   below the tie, still ≥ 90
    E   80 | 0.80 0.80 -> 80
    F   70 | 0.70 0.70 -> 70"""
import io
import re
from datetime import date

import pytest
from pydantic import ValidationError
from pypdf import PdfReader

from bihuan_assessment.domain.inputs import EvaluationIn, GroupInputs, MetricIn, UnitIn
from bihuan_assessment.domain.rules import Group
from bihuan_assessment.domain.scoring import score_group

UNITS = {"A": (100, 0.96, 0.96), "B": (90, 1.0, 0.9), "C": (95, 0.9, 0.9), "D": (90, 0.9, 1.0), "G": (91, 0.91, 0.91),
         "E": (80, 0.8, 0.8), "F": (70, 0.7, 0.7)}
SERVICE = {"key": "service", "name": "热线服务", "kind": "indicators", "weight": 50, "indicators": [
    {"key": "sat", "name": "热线满意率", "metric": "satisfaction_rate", "source": "hotline", "period_kind": "month",
     "scoring": "rate"},
    {"key": "close", "name": "按时办结率", "metric": "on_time_close_rate", "source": "hotline", "period_kind": "month",
     "scoring": "rate"}]}
RULES = {"key": "g", "name": "街镇组", "unit_groups": ["街镇"], "components": [
    {"key": "completion", "name": "目标完成评价", "kind": "evaluation", "weight": 50, "evaluation_kind": "leader"},
    SERVICE], "grades": [{"name": "优秀", "min_score": 90, "quota": 0.5}, {"name": "良好", "min_score": 80},
                         {"name": "合格", "min_score": 60}, {"name": "不合格"}]}


def graded(quota_ties=None, **extra) -> dict:
    rules = {**RULES, **extra, **({"quota_ties": quota_ties} if quota_ties is not None else {})}
    data = GroupInputs(2026, date(2026, 12, 31), [UnitIn(u, f"单位{u}") for u in UNITS],
                       metrics=[MetricIn(u, "2026-06", "month", "hotline",
                                         {"satisfaction_rate": s, "on_time_close_rate": c}, f"m-{u}")
                                for u, (_, s, c) in UNITS.items()],
                       evaluations=[EvaluationIn(u, "leader", "区长", e, f"ev-{u}") for u, (e, _, _) in UNITS.items()])
    return {c.unit: c for c in score_group(Group.model_validate(rules), data)}


def grades(cards: dict) -> str:
    return " ".join(f"{u}{cards[u].grade}" for u in "ABCDGEF")


def test_totals_and_ranks_of_the_fixture():
    cards = graded()
    assert [(u, cards[u].total, cards[u].rank) for u in "ABCDGEF"] == [
        ("A", 98.0, 1), ("B", 92.5, 2), ("C", 92.5, 2), ("D", 92.5, 2), ("G", 91.0, 5), ("E", 80.0, 6), ("F", 70.0, 7)]


def test_share_is_the_default_all_tied_units_take_the_higher_grade_and_the_excess_is_recorded():
    for cards in (graded(), graded("share"), graded({"rule": "share"})):
        assert grades(cards) == "A优秀 B优秀 C优秀 D优秀 G良好 E良好 F合格"  # 4 优秀 for 3 places; G's 91 gets none
        for u in "BCD":
            d = cards[u].grade_decision
            assert (d["rule"], d["grade"]) == ("share", "优秀")
            assert "3个单位（B、C、D）并列" in d["text"] and "名额3个（组内7个单位×50%），尚余2个" in d["text"]
            assert "超出名额1个" in d["text"]
            assert [ln.rule for ln in cards[u].lines if ln.component == "grade"] == ["grades.quota_ties.share"]
        assert all(cards[u].grade_decision is None for u in "AGEF")  # no tie on a boundary, nothing to explain


def test_lower_gives_the_tied_units_the_lower_grade_and_no_lower_total_takes_the_places_left():
    cards = graded("lower")
    assert grades(cards) == "A优秀 B良好 C良好 D良好 G良好 E良好 F合格"  # G (91) does not take the 2 unused places
    d = cards["C"].grade_decision
    assert d["rule"] == "lower" and "剩余2个名额不再使用" in d["text"] and d["text"].endswith("本单位评为「良好」")
    assert cards["G"].grade_decision is None


def test_tiebreakers_compare_a_component_then_an_indicator():
    cards = graded({"rule": "tiebreak", "tiebreakers": ["completion", "service.sat"]})
    # completion: C 95 > B 90 = D 90; hotline satisfaction points: B 25 > D 22.5 -> C and B take the 2 places.
    assert grades(cards) == "A优秀 B优秀 C优秀 D良好 G良好 E良好 F合格"
    assert cards["B"].grade_decision["tiebreakers"] == {"completion": 90.0, "service.sat": 25.0}
    assert cards["D"].grade_decision["tiebreakers"] == {"completion": 90.0, "service.sat": 22.5}
    text = cards["D"].grade_decision["text"]
    assert "依次比较「目标完成评价」得分、「热线满意率」得分（高者优先）: C 95.00、22.50；B 90.00、25.00；D 90.00、22.50" in text
    assert text.endswith("本单位评为「良好」")


@pytest.mark.parametrize("fallback, expected", [
    ("share", "A优秀 B优秀 C优秀 D优秀 G良好 E良好 F合格"),
    ("lower", "A优秀 B良好 C优秀 D良好 G良好 E良好 F合格")])
def test_units_still_tied_after_the_tiebreakers_fall_back(fallback, expected):
    cards = graded({"rule": "tiebreak", "tiebreakers": ["completion"], "fallback": fallback})
    # completion separates C (95) from B and D (90), who then straddle the last place.
    assert grades(cards) == expected
    assert "比较后B、D仍然并列" in cards["B"].grade_decision["text"]
    assert "仍然并列" not in cards["C"].grade_decision["text"]


def test_a_tie_that_fits_inside_the_quota_needs_no_rule():
    wide = [{"name": "优秀", "min_score": 90, "quota": 0.6}, *RULES["grades"][1:]]  # 4 places: A, B, C, D
    cards = graded("lower", grades=wide)
    assert grades(cards) == "A优秀 B优秀 C优秀 D优秀 G良好 E良好 F合格"
    assert all(c.grade_decision is None for c in cards.values())


@pytest.mark.parametrize("ties, message", [
    ({"rule": "tiebreak"}, "tiebreakers"),
    ({"rule": "tiebreak", "tiebreakers": ["nope"]}, "「nope」不是本组的组成部分或指标"),
    ({"rule": "tiebreak", "tiebreakers": ["service.nope"]}, "「service.nope」"),
    ("coin", "quota_ties.rule")])
def test_a_tie_rule_the_engine_cannot_apply_is_refused_naming_it(ties, message):
    with pytest.raises(ValidationError) as e:
        Group.model_validate({**RULES, "quota_ties": ties})
    assert message in str(e.value)



async def test_a_shared_boundary_through_the_api_is_on_the_scorecard_the_results_and_the_pdf(make_api):
    api, feed = make_api("quotaties")
    for code in ("Q1", "Q2", "Q3", "Q4"):
        await feed.unit(code, f"街道{code}", "街镇")
    await api.applied(feed)
    leader = {**RULES["components"][0], "weight": 100}
    assessment = await api.open_scheme({"groups": [{**RULES, "components": [leader]}]})
    await api.post("/evaluations", {"scope": "quotaties", "year": 2026, "items": [
        {"unit": u, "kind": "leader", "evaluator": "区长", "score": s}
        for u, s in (("Q1", 95), ("Q2", 93), ("Q3", 93), ("Q4", 70))]})
    s = await api.compute(assessment)
    # 优秀 at most 50 % of 4 = 2 places: Q1 takes one, Q2 and Q3 tie at 93 for the other and share it.
    assert [(u, s[u]["total"], s[u]["rank"], s[u]["grade"]) for u in ("Q1", "Q2", "Q3", "Q4")] == [
        ("Q1", 95.0, 1, "优秀"), ("Q2", 93.0, 2, "优秀"), ("Q3", 93.0, 2, "优秀"), ("Q4", 70.0, 4, "合格")]
    card = await api.card(assessment, "Q3")
    assert card["grade_decision"]["rule"] == "share" and "超出名额1个" in card["grade_decision"]["text"]
    assert [ln["rule"] for ln in card["lines"] if ln["component"] == "grade"] == ["grades.quota_ties.share"]
    assert (await api.card(assessment, "Q1"))["grade_decision"] is None

    pdf = await api.client.get(f"/api/v1/assessments/{assessment}/report.pdf", headers=api.assessor)
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages))
    assert "2Q2街道Q293.00优秀并列等次2Q3街道Q393.00优秀并列等次" in text
    q3 = text[text.index("第2名Q3街道Q3"):text.index("第4名Q4")]
    assert "等次名额并列的处理:总分93.00分的2个单位（Q2、Q3）并列，「优秀」名额2个（组内4个单位×50%），尚余1个" in q3
    assert "并列单位均评为「优秀」，超出名额1个。本单位评为「优秀」" in q3

"""The pure scoring engine with plain values: ties, quotas, bottom flags, lag excuses and scheme validation."""
from datetime import date

import pytest
from pydantic import ValidationError

from bihuan_assessment.domain.inputs import EvaluationIn, GroupInputs, MilestoneIn, TargetIn, UnitIn
from bihuan_assessment.domain.rules import Group, SchemeRules
from bihuan_assessment.domain.scoring import score_group

AS_OF = date(2026, 12, 31)


def group(**extra) -> Group:
    return Group.model_validate({"key": "g", "name": "组", "unit_groups": ["x"], "components": [
        {"key": "e", "name": "领导评价", "kind": "evaluation", "weight": 100, "evaluation_kind": "leader"}], **extra})


def inputs(scores: dict[str, float], **extra) -> GroupInputs:
    return GroupInputs(2026, AS_OF, [UnitIn(u, u) for u in scores],
                       evaluations=[EvaluationIn(u, "leader", "区长", s, f"ev-{u}") for u, s in scores.items()], **extra)


def test_quota_ties_and_bottom_flags():
    cards = {c.unit: c for c in score_group(group(bottom_count=1), inputs(
        {"A": 98, "B": 95, "C": 95, "D": 92, "E": 70}))}
    # 20 % of 5 = 1 优秀; the tie B = C shares rank 2; the rest of the ≥ 90 scores fall to 良好.
    assert [(u, cards[u].rank, cards[u].grade) for u in "ABCDE"] == [
        ("A", 1, "优秀"), ("B", 2, "良好"), ("C", 2, "良好"), ("D", 4, "良好"), ("E", 5, "合格")]
    assert [u for u in "ABCDE" if cards[u].bottom] == ["E"]


def test_units_tied_at_the_bottom_share_the_flag():
    """Equal totals cannot be told apart: two units tied for the last place are both 末位, and the basis says so."""
    scored = score_group(group(bottom_count=1, accountability=[{"kind": "bottom", "measure": "约谈"}]),
                         inputs({"A": 98, "B": 95, "C": 92, "D": 70, "E": 70}))
    cards = {c.unit: c for c in scored}
    assert [(u, cards[u].rank, cards[u].bottom) for u in "ABCDE"] == [
        ("A", 1, False), ("B", 2, False), ("C", 3, False), ("D", 4, True), ("E", 4, True)]
    assert cards["D"].proposals[0]["basis"] == "组内排名第4位，末位（并列）"
    alone = {c.unit: c for c in score_group(group(bottom_count=2), inputs({"A": 98, "B": 95, "C": 92, "D": 80, "E": 70}))}
    assert [u for u in "ABCDE" if alone[u].bottom] == ["D", "E"]


def test_objective_lag_is_excused_subjective_is_not():
    def target(tid, lag_kind):
        m = MilestoneIn(f"{tid}-m", date(2026, 3, 31), overdue=True, lag_kind=lag_kind, sources=("ev",))
        return TargetIn(tid, tid, "目标", "key_work", "A", (), 1.0, (m,))
    g = Group.model_validate({"key": "g", "name": "组", "unit_groups": ["x"], "components": [
        {"key": "c", "name": "目标完成", "kind": "target_completion", "weight": 100}]})
    data = GroupInputs(2026, AS_OF, [UnitIn("A", "A")], targets=[target("T1", "objective"), target("T2", "subjective")])
    card = score_group(g, data)[0]
    assert card.total == 50.0 and card.red_targets == ["T2"]
    no_excuse = g.model_copy(update={"lag": g.lag.model_copy(update={"excuse_objective": False})})
    assert score_group(no_excuse, data)[0].total == 0.0


def test_scheme_errors_name_the_field():
    with pytest.raises(ValidationError) as e:
        SchemeRules.model_validate({"groups": [{"key": "g", "name": "组", "unit_groups": ["x"], "components": [
            {"key": "e", "name": "评价", "kind": "evaluation", "weight": 100}]}]})
    assert "evaluation_kind" in str(e.value)
    with pytest.raises(ValidationError):
        SchemeRules.model_validate({"groups": [{"key": "g", "name": "组", "unit_groups": ["x"]}]})  # no components

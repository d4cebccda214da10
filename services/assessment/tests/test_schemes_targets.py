"""Schemes scored from target completion (facts from planning's and execution's events): Wuhan pass/fail, Lianyungang
groups and ranking, Xuhui's 40 % with lead units rating their cooperators. Hand-computed figures in the comments."""
from datetime import date

D = date(2026, 3, 31)  # due dates in the past of as_of (2026-12-31): a milestone not done by then is missed


def completion(key="completion", weight=100):
    return {"key": key, "name": "目标完成", "kind": "target_completion", "weight": weight}


async def test_wuhan_pass_fail_one_failed_target_fails_the_unit(make_api):
    api, feed = make_api("wuhan")
    await feed.unit("W1", "江岸区", "城区")
    await feed.unit("W2", "江汉区", "城区")
    await feed.target("T1", "W1", [D, D], title="新增就业")
    await feed.done("T1", 1, "on_time")
    await feed.done("T1", 2, "late")             # late still meets the target (late_is_met)
    await feed.target("T2", "W1", [D, D], title="再就业")
    await feed.done("T2", 1, "early")
    await feed.overdue("T2", 2)
    await feed.lag("T2", 2, "objective")         # an objective reason: excused, not failed
    await feed.target("T3", "W2", [D], title="招商引资")
    await feed.done("T3", 1, "on_time")
    await feed.target("T4", "W2", [D], title="棚户区改造")
    overdue = await feed.overdue("T4", 1)        # missed, no excuse: W2 fails although T3 was met
    await api.applied(feed)
    assessment = await api.open_scheme({"groups": [{
        "key": "districts", "name": "城区组", "unit_groups": ["城区"], "mode": "pass_fail",
        "accountability": [{"kind": "fail", "measure": "诫勉谈话"}]}]})
    scores = await api.compute(assessment)
    assert (scores["W1"]["passed"], scores["W1"]["grade"], scores["W1"]["total"], scores["W1"]["rank"]) == (
        True, "达标", 100.0, 1)
    assert (scores["W2"]["passed"], scores["W2"]["grade"], scores["W2"]["total"], scores["W2"]["rank"]) == (
        False, "不达标", 50.0, 2)
    card = await api.card(assessment, "W2")
    failed = [line for line in card["lines"] if line["points"] == 0]
    assert len(failed) == 1 and "T4" in failed[0]["text"] and overdue in failed[0]["sources"]
    assert card["proposals"][0]["rule"] == "fail" and "T4" in card["proposals"][0]["basis"]


async def test_lianyungang_groups_rank_separately(make_api):
    api, feed = make_api("lyg")
    for code in ("D1", "D2", "D3"):
        await feed.unit(code, f"县区{code}", "县区")
    for code in ("P1", "P2"):
        await feed.unit(code, f"市直部门{code}", "市直部门", kind="line_department")
    await feed.target("LD1a", "D1", [D, D], weight=2)
    await feed.done("LD1a", 1, "on_time")
    await feed.done("LD1a", 2, "late")           # (100 + 60) / 2 = 80, weight 2
    await feed.target("LD1b", "D1", [D])
    await feed.done("LD1b", 1, "early")          # 100, weight 1  -> D1 = (2×80 + 100) / 3 = 86.67
    await feed.target("LD2", "D2", [D])
    await feed.done("LD2", 1, "on_time")         # D2 = 100
    await feed.target("LD3", "D3", [D, D])
    await feed.overdue("LD3", 1)
    await feed.lag("LD3", 1, "subjective")       # a subjective reason excuses nothing
    await feed.done("LD3", 2, "on_time")         # D3 = (0 + 100) / 2 = 50
    await feed.target("LP1", "P1", [D])
    await feed.done("LP1", 1, "on_time")         # P1 = 100
    await feed.target("LP2", "P2", [D])
    await feed.done("LP2", 1, "late")            # P2 = 60
    await api.applied(feed)
    assessment = await api.open_scheme({"groups": [
        {"key": "counties", "name": "县区组", "unit_groups": ["县区"], "components": [completion()], "bottom_count": 1,
         "accountability": [{"kind": "red_targets", "above": 0, "measure": "约谈"}]},
        {"key": "departments", "name": "市直部门组", "unit_groups": ["市直部门"], "components": [completion()]}]})
    s = await api.compute(assessment)
    assert [(u, s[u]["total"], s[u]["rank"], s[u]["grade"]) for u in ("D2", "D1", "D3", "P1", "P2")] == [
        ("D2", 100.0, 1, "良好"),   # 20 % of 3 units rounds down to no 优秀 at all
        ("D1", 86.67, 2, "良好"),
        ("D3", 50.0, 3, "不合格"),
        ("P1", 100.0, 1, "良好"),
        ("P2", 60.0, 2, "合格")]
    assert s["D3"]["bottom"] and not s["P2"]["bottom"]
    assert (s["D1"]["group_key"], s["P1"]["group_key"]) == ("counties", "departments")
    d3 = await api.card(assessment, "D3")
    assert d3["red_targets"] == ["LD3"] and d3["proposals"][0]["rule"] == "red_targets"
    assert (await api.card(assessment, "D1"))["proposals"] == []


async def test_xuhui_target_completion_is_40_percent(make_api):
    api, feed = make_api("xuhui")
    await feed.unit("X1", "区科委", "部门", kind="line_department")
    await feed.unit("X2", "区发改委", "部门", kind="line_department")
    await feed.target("XT1", "X1", [D, D])
    await feed.done("XT1", 1, "early")
    await feed.done("XT1", 2, "on_time")         # 100
    await feed.target("XT2", "X1", [D, D])
    await feed.done("XT2", 1, "on_time")
    await feed.done("XT2", 2, "late")            # 80   -> completion (100 + 80) / 2 = 90 -> 40 × 90 % = 36
    await feed.target("XT3", "X2", [D])
    await feed.done("XT3", 1, "on_time")
    rated = await feed.cooperation("XT3", "X2", "X1", 85)   # lead unit X2 rates cooperator X1: 20 × 85 % = 17
    await api.applied(feed)
    assessment = await api.open_scheme({"groups": [{
        "key": "departments", "name": "部门组", "unit_groups": ["部门"], "components": [
            completion(weight=40),
            {"key": "leader", "name": "领导评价", "kind": "evaluation", "weight": 20, "evaluation_kind": "leader"},
            {"key": "dept", "name": "职能部门评价", "kind": "evaluation", "weight": 20,
             "evaluation_kind": "department"},
            {"key": "coop", "name": "牵头单位评价", "kind": "evaluation", "weight": 20,
             "evaluation_kind": "cooperation"}]}]})
    await api.post("/evaluations", {"scope": "xuhui", "year": 2026, "items": [
        {"unit": "X1", "kind": "leader", "score": 80},       # 16
        {"unit": "X1", "kind": "department", "score": 90}]})  # 18
    s = await api.compute(assessment)
    assert s["X1"]["total"] == 87.0                          # 36 + 16 + 18 + 17
    assert s["X1"]["components"]["completion"]["points"] == 36.0
    card = await api.card(assessment, "X1")
    coop = [line for line in card["lines"] if line["component"] == "coop"]
    assert coop[0]["sources"] == [rated] and coop[0]["points"] == 17.0

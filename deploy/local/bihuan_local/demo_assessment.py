"""The demo's assessment: a scheme in Baoshan / Xuhui proportions (target completion 40, leaders 25, management
departments 15, third party 20), opened for the year, evaluations entered, and a computed (not published) result."""
import asyncio
import hashlib

from bihuan_local.demo_api import DemoApi, Missing
from bihuan_local.demo_district import LEADER_OF, SCOPE, UNITS

GROUPS = [("bureaus", "委办局考核组", "委办局"), ("streets", "街镇考核组", "街镇"), ("resident", "驻区单位考核组", "驻区单位")]


def scheme_rules() -> dict:
    components = [
        {"key": "completion", "name": "目标完成", "kind": "target_completion", "weight": 40},
        {"key": "leaders", "name": "领导评价", "kind": "evaluation", "evaluation_kind": "leader", "weight": 25},
        {"key": "departments", "name": "职能部门评价", "kind": "evaluation", "evaluation_kind": "department", "weight": 15},
        {"key": "third_party", "name": "第三方评估", "kind": "evaluation", "evaluation_kind": "third_party", "weight": 20},
    ]
    return {"groups": [{"key": key, "name": name, "unit_groups": [group], "components": components,
                        "bottom_count": 1 if key != "resident" else 0,
                        "accountability": [{"kind": "red_targets", "above": 1, "measure": "约谈"},
                                           {"kind": "grade", "grade": "不合格", "measure": "通报批评"}]}
                       for key, name, group in GROUPS]}


def score_of(unit: str, kind: str) -> float:
    """A stable, plausible score 78..97 per unit and evaluation kind."""
    digest = int(hashlib.sha256(f"{unit}:{kind}".encode()).hexdigest(), 16)
    return round(78 + (digest % 1900) / 100, 1)


async def find_assessment(api: DemoApi, year: int) -> dict | None:
    """The scope's assessment of the year: the opened scheme names it."""
    headers = api.as_("assessor")
    schemes = await api.get("assessment", "schemes", headers, params={"scope": SCOPE, "year": year})
    opened = [s for s in schemes if s.get("assessment_id")]
    if not opened:
        drafts = [s for s in schemes if s["status"] == "draft"]
        if drafts:  # a run stopped between drafting and opening: open the draft rather than add another
            opened = [await api.post("assessment", f"schemes/{drafts[0]['id']}/open", {}, headers)]
        else:
            return None
    return await api.get("assessment", f"assessments/{opened[0]['assessment_id']}", headers)


async def open_assessment(api: DemoApi, year: int) -> dict:
    found = await find_assessment(api, year)
    if found:
        return found
    headers = api.as_("assessor")
    scheme = await api.post("assessment", "schemes", {"scope": SCOPE, "year": year,
                                                      "name": f"{year}年度演示区绩效考核办法",
                                                      "rules": scheme_rules()}, headers)
    opened = await api.post("assessment", f"schemes/{scheme['id']}/open", {}, headers)
    return await api.get("assessment", f"assessments/{opened['assessment_id']}", headers)


async def enter_evaluations(api: DemoApi, year: int) -> int:
    units = [u[0] for u in UNITS]
    batches = [("assessor", "department", None), ("third_party", "third_party", "第三方评估机构")]
    for role, kind, evaluator in batches:
        items = [{"unit": u, "kind": kind, "evaluator": evaluator, "score": score_of(u, kind), "comment": "演示评价"}
                 for u in units]
        # An evaluator scores as itself: the agency's staff sign in as the agency, the office enters its own.
        headers = api.as_(role, user=evaluator) if evaluator else api.as_(role)
        await api.post("assessment", "evaluations", {"scope": SCOPE, "year": year, "items": items}, headers)
    leaders = sorted(set(LEADER_OF.values()))
    for leader in leaders:
        items = [{"unit": u, "kind": "leader", "evaluator": leader, "score": score_of(u, "leader"),
                  "comment": "分管领导评价"} for u in units if LEADER_OF[u] == leader]
        await api.post("assessment", "evaluations", {"scope": SCOPE, "year": year, "items": items},
                       api.as_("leader", user=leader))
    return len(units) * 3


async def recompute(api: DemoApi, assessment_id: int, timeout: float = 120) -> dict:
    headers = api.as_("assessor")
    run = await api.post("assessment", f"assessments/{assessment_id}/runs", {}, headers)
    for _ in range(int(timeout * 2)):
        state = await api.get("assessment", f"assessments/{assessment_id}/runs/{run['run_no']}", headers)
        if state["status"] in ("done", "failed"):
            return state
        await asyncio.sleep(0.5)
    return state


async def compute_assessment(api: DemoApi, year: int, say) -> dict | None:
    try:
        assessment = await open_assessment(api, year)
        if assessment["status"] == "published":
            say(f"考核：{year} 年度考核结果已发布（#{assessment['id']}）")
            return assessment
        entered = await enter_evaluations(api, year)
        state = await recompute(api, assessment["id"])
        results = await api.get("assessment", f"assessments/{assessment['id']}/results", api.as_("assessor"))
        say(f"考核：已录入 {entered} 条评价；第 {state['run_no']} 次计算{'完成' if state['status'] == 'done' else state['status']}，"
            f"{len(results.get('scores', []))} 个单位有得分（尚未发布）")
        return assessment
    except Missing as exc:
        say(f"跳过考核：{exc}")
        return None

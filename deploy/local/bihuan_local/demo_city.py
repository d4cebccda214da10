"""The demo city (示范市) above the demo district, driven through the public APIs as its offices would: the city
registers itself and three districts (the demo district among them), its directory and two city tasks decomposed
to the districts; each district names its lead units and publishes what it received; two districts report the first
quarter, so the city's roll-up and board have something to show. Idempotent, like the district's demo."""
from datetime import date

from bihuan_local.demo_api import DemoApi, Missing

CITY, CITY_NAME = "democity", "示范市"
# (code, name, (lead unit code, name) for the city tasks) — the demo district's directory is its own demo's.
DISTRICTS = [("demo", "演示区（徐汇）", ("U-LH", "区绿化和市容管理局")),
             ("demo-mh", "闵行区", ("MH-LH", "闵行区绿化市容局")),
             ("demo-pd", "浦东新区", ("PD-LH", "浦东新区生态环境局"))]
CITY_UNITS = [("SJ-LH", "市绿化和市容管理局"), ("SJ-FG", "市住房和城乡建设管理委员会")]
# code, title, lead unit, unit of measure, Q1 and year-end city totals, shares per district (in DISTRICTS' order)
TASKS = [("SJ-2026-01", "新增城市绿道100公里", "SJ-LH", "公里", 20, 100, (40, 35, 25)),
         ("SJ-2026-02", "完成旧住房综合改造30万平方米", "SJ-FG", "万平方米", 6, 30, (12, 10, 8))]
# Q1 reports of the first task (district -> value) on 25 March: the demo district on plan, 闵行 behind, 浦东 none.
Q1_REPORTS = {"demo": 8, "demo-mh": 5}


def say(text: str) -> None:
    print(f"演示 | {text}", flush=True)


async def seed_city(client, year: int) -> None:
    """Before the demo district's own seed: the city registers the district, so the district is the city's."""
    city = DemoApi(client, CITY)
    office = city.as_("target_office")
    try:
        await city.put("planning", f"scopes/{CITY}", {"name": CITY_NAME, "kind": "city"}, office)
        for code, name, _ in DISTRICTS:
            try:
                await city.put("planning", f"scopes/{code}", {"name": name, "kind": "district", "parent": CITY},
                               office)
            except RuntimeError as exc:  # registered standalone by an earlier version of the demo: left as it is
                say(f"{name} 已作为独立区登记，未纳入示范市：{exc}")
        for code, name in CITY_UNITS:
            await city.put("planning", f"directory/{CITY}/units/{code}", {"name": name, "kind": "line_department"},
                           office)
        for code, _, (unit, unit_name) in DISTRICTS[1:]:
            district = DemoApi(client, code)
            await district.put("planning", f"directory/{code}/units/{unit}",
                               {"name": unit_name, "kind": "line_department"}, district.as_("target_office"))
        say(f"示范市：{CITY_NAME} 与下属 {len(DISTRICTS)} 个区已登记")
    except Missing as exc:
        say(f"跳过示范市：{exc}")


async def publish_city_tasks(client, year: int) -> None:
    """The city tasks decomposed and published; each district's linked targets given a lead unit and published;
    the first quarter reported in two districts."""
    city = DemoApi(client, CITY)
    office = city.as_("target_office")
    try:
        existing = {t["code"]: t for t in await city.all_targets(year)}
        for code, title, lead, measure, q1, total, shares in TASKS:
            task = existing.get(code) or await city.post("planning", "targets", {
                "scope": CITY, "year": year, "code": code, "title": title, "category": "special_work",
                "source": "市级交办", "lead_unit": lead, "area": "城市建设",
                "indicator": {"kind": "quantitative", "unit_of_measure": measure, "target_value": total,
                              "direction": "up"},
                "milestones": [{"due_date": f"{year}-03-31", "expected_value": q1},
                               {"due_date": f"{year}-12-31", "expected_value": total}]}, office)
            if task["status"] == "draft":
                task = await city.put("planning", f"targets/{task['id']}/assignments", {"assignments": [
                    {"district": d[0], "share_value": share} for d, share in zip(DISTRICTS, shares)]}, office)
            await _publish(city, task, office)
        placed = 0
        for i, (district_code, _, (unit, _)) in enumerate(DISTRICTS):
            district = DemoApi(client, district_code)
            d_office = district.as_("target_office")
            linked = [t for t in await district.all_targets(year) if t.get("origin_target_id")]
            # 浦东 has published only the first task so far: the city sees the second as "区未发布".
            for t in linked[:1] if district_code == "demo-pd" else linked:
                if t["status"] == "draft" and not t["lead_unit"]:
                    t = await district.call("PATCH", "planning", f"targets/{t['id']}", d_office,
                                            json={"lead_unit": unit})
                placed += await _publish(district, t, d_office)
            await _report_q1(district, year, [t for t in linked if t["code"] == f"市-{TASKS[0][0]}"], unit)
        say(f"市级交办：{len(TASKS)} 项任务分解到 {len(DISTRICTS)} 个区（本次新发布区级目标 {placed} 项）")
    except Missing as exc:
        say(f"跳过市级交办：{exc}")


async def _publish(api: DemoApi, target: dict, headers: dict) -> int:
    flow = {"draft": ["submit", "approve", "publish"], "submitted": ["approve", "publish"], "approved": ["publish"]}
    steps = flow.get(target["status"], [])
    for action in steps:
        await api.post("planning", f"targets/{target['id']}/{action}", {"comment": "演示：发布"}, headers)
    return 1 if steps else 0


async def _report_q1(district: DemoApi, year: int, linked: list[dict], unit: str) -> None:
    value = Q1_REPORTS.get(district.scope)
    if value is None or not linked:
        return
    target = linked[0]
    views = await district.execution_views([{**target, "status": "published"}])
    first = next(m for m in views[target["id"]]["milestones"] if m["seq"] == 1)
    if first.get("latest_value") is None:
        await district.report(target, first, district.as_("unit_reporter", unit=unit), value=value,
                              narrative="市级交办任务第一季度进展。", on=date(year, 3, 25))


def city_scheme_rules(districts: list[str]) -> dict:
    """The city assesses its districts (市对区考核): its tasks' completion in each district, and the city leaders'
    evaluation."""
    return {"groups": [{"key": "districts", "name": "各区考核组", "units": districts, "components": [
        {"key": "tasks", "name": "市级交办任务完成", "kind": "city_tasks", "weight": 60},
        {"key": "leader", "name": "市领导评价", "kind": "evaluation", "evaluation_kind": "leader", "weight": 40}]}]}


CITY_LEADER_SCORES = {"demo": 92.0, "demo-mh": 85.5, "demo-pd": 88.0}


async def assess_districts(client, year: int) -> None:
    """A city scheme over the districts under the city, opened, the city leader's evaluations entered, computed."""
    from bihuan_local.demo_assessment import recompute

    city = DemoApi(client, CITY)
    assessor = city.as_("assessor")
    try:
        scopes = await city.get("planning", "scopes", city.as_("target_office"))
        districts = [s["code"] for s in scopes if s.get("parent") == CITY]
        if not districts:
            return
        schemes = await city.get("assessment", "schemes", assessor, params={"scope": CITY, "year": year})
        opened = [s for s in schemes if s.get("assessment_id")]
        if not opened:
            scheme = await city.post("assessment", "schemes", {"scope": CITY, "year": year,
                                                               "name": f"{year}年度示范市对区考核办法",
                                                               "rules": city_scheme_rules(districts)}, assessor)
            opened = [await city.post("assessment", f"schemes/{scheme['id']}/open", {}, assessor)]
        assessment_id = opened[0]["assessment_id"]
        leader = "L-CITY"
        items = [{"unit": d, "kind": "leader", "evaluator": leader, "score": CITY_LEADER_SCORES.get(d, 86.0),
                  "comment": "市领导评价"} for d in districts]
        await city.post("assessment", "evaluations", {"scope": CITY, "year": year, "items": items},
                        city.as_("leader", user=leader))
        state = await recompute(city, assessment_id)
        say(f"市对区考核：{len(districts)} 个区，第 {state['run_no']} 次计算"
            f"{'完成' if state['status'] == 'done' else state['status']}（尚未发布）")
    except Missing as exc:
        say(f"跳过市对区考核：{exc}")


async def city_hotline(client, year: int, per_district: int = 30) -> None:
    """The city's 12345 center sends one stream for the whole city: each order names its district and is routed
    there by supervision (stable ids: a second run stores nothing new)."""
    import random

    from bihuan_local.demo_feeds import _at, hotline_order

    city = DemoApi(client, CITY)
    rng = random.Random(year)
    orders = []
    for code, name, (unit, _) in DISTRICTS:
        for i in range(per_district):
            day = date(year, 1 + i % 3, 1 + i % 28)
            order = hotline_order(f"C{year}-{code}-{i:03d}", _at(day, rng), rng)
            # the demo district's orders keep their own units; the others' go to the unit each registered
            order.update(district=name, **({} if code == "demo" else {"assigned_unit": unit, "street": ""}))
            orders.append(order)
    try:
        answer = await city.post("supervision", "feeds/hotline/records", {"records": orders},
                                 city.as_("feed", user=f"feed-hotline@{CITY}"))
        routed = "、".join(f"{d} {v.get('stored', 0) + v.get('updated', 0) + v.get('unchanged', 0)} 条"
                          for d, v in (answer.get("districts") or {}).items())
        say(f"全市 12345：一路数据流 {len(orders)} 条工单按区分发（{routed}）")
    except Missing as exc:
        say(f"跳过全市热线：{exc}")

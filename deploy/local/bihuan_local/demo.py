"""The demo district, driven through the public APIs exactly as users would: the target office registers the units
and publishes the target book, contracts are signed, units report the first quarter (backfilled with March dates),
lags are explained, a target is added mid-year, evaluations are entered and the assessment is computed.
Idempotent: a second run finds what exists and only does what is missing. An API a service does not offer (yet)
is skipped with a note in Chinese, never a crash."""
import asyncio
import logging
import os
from datetime import date, timedelta

import httpx

from bihuan_local.demo_api import DemoApi, Missing
from bihuan_local.demo_assessment import compute_assessment
from bihuan_local.demo_city import CITY, assess_districts, city_hotline, publish_city_tasks, seed_city
from bihuan_local.demo_clock import demo_today, demo_year
from bihuan_local.demo_district import (LAG_REASONS, LEADERS, SCOPE, SCOPE_NAME, UNITS, lagging_codes,
                                        target_specs)

log = logging.getLogger("bihuan.demo")


def demo_limit() -> int | None:
    """BIHUAN_DEMO_SIZE=small seeds 8 key tasks (for browser tests); the default is the whole book."""
    return 8 if os.environ.get("BIHUAN_DEMO_SIZE") == "small" else None


def say(text: str) -> None:
    print(f"演示 | {text}", flush=True)


async def seed_directory(api: DemoApi) -> None:
    office = api.as_("target_office")
    try:
        scopes = {s["code"]: s for s in await api.get("planning", "scopes", office)}
        parent = scopes.get(SCOPE, {}).get("parent") if SCOPE in scopes else CITY  # the city registered it
        await api.put("planning", f"scopes/{SCOPE}", {"name": SCOPE_NAME, "kind": "district", "parent": parent},
                      office)
        existing = {u["code"] for u in await api.get("planning", f"directory/{SCOPE}/units", office)}
        missing = [u for u in UNITS if u[0] not in existing]
        await api.gather(api.put("planning", f"directory/{SCOPE}/units/{code}",
                                 {"name": name, "kind": kind, "assessment_group": group}, office)
                         for code, name, kind, group, _ in missing)
        for code, name, title in LEADERS:
            units = [u[0] for u in UNITS if u[4] == code]
            await api.put("planning", f"directory/{SCOPE}/leaders/{code}", {"name": name, "title": title,
                                                                          "units": units}, office)
        say(f"单位目录：{len(UNITS)} 个单位（新登记 {len(missing)} 个），{len(LEADERS)} 位分管领导")
    except Missing as exc:
        say(f"跳过单位目录：{exc}")


async def publish_book(api: DemoApi, year: int) -> dict[str, dict]:
    """Every key task and sub-item, created if missing and moved on to published. Returns targets by code."""
    office = api.as_("target_office")
    found = {t["code"]: t for t in await api.all_targets(year)}
    created = 0

    async def ensure(spec: dict, parent_id: str | None) -> dict:
        nonlocal created
        target = found.get(spec["code"])
        if target is None:
            body = {"scope": SCOPE, "year": year, **spec}
            if parent_id:
                body["parent_id"] = parent_id
            target = await api.post("planning", "targets", body, office)
            created += 1
        for action, status in (("submit", "draft"), ("approve", "submitted"), ("publish", "approved")):
            if target["status"] == status:
                target = await api.post("planning", f"targets/{target['id']}/{action}", {"comment": "演示数据"}, office)
        found[spec["code"]] = target
        return target

    async def one_task(key: dict, subs: list[dict]) -> None:
        parent = await ensure(key, None)
        for sub in subs:
            await ensure(sub, parent["id"])

    specs = target_specs(year, demo_limit())
    await api.gather((one_task(k, s) for k, s in specs), limit=4)
    subs = sum(len(s) for _, s in specs)
    say(f"{year} 年度目标书：{len(specs)} 项重点工作、{subs} 个子项目已发布（本次新建 {created} 项）")
    return found


async def sign_contracts(api: DemoApi, year: int, targets: dict[str, dict]) -> None:
    office = api.as_("target_office")
    try:
        signed = {c["unit_code"] for c in await api.get("planning", "contracts", office,
                                                        params={"scope": SCOPE, "year": year})
                  if c["status"] == "signed"}
    except Missing as exc:
        say(f"跳过责任书：{exc}")
        return
    owners = sorted({t["lead_unit"] for t in targets.values()} | {u for t in targets.values()
                                                                   for u in t["responsible_units"]})

    async def one(unit: str) -> None:
        contract = await api.post("planning", "contracts", {"scope": SCOPE, "year": year, "unit": unit}, office)
        leader = contract.get("leader_code")
        signer = api.as_("leader", user=leader) if leader else office
        await api.post("planning", f"contracts/{contract['id']}/sign", {"note": "年初签订目标责任书"}, signer)

    await api.gather((one(u) for u in owners if u not in signed), limit=4)
    say(f"目标责任书：{len(owners)} 个单位已签订（本次新签 {len([u for u in owners if u not in signed])} 份）")


async def replay_first_quarter(api: DemoApi, year: int, targets: dict[str, dict]) -> None:
    """Each sub-item's Q1 milestone (due 31 March) is reported with March dates: 210 met, 11 lagging."""
    subs = sorted(c for c in targets if c.count("-") == 3)
    lagging = dict(zip(lagging_codes(subs), LAG_REASONS))
    views = await api.execution_views([targets[c] for c in subs])
    met = lag = reported = 0

    async def one(code: str) -> None:
        nonlocal met, lag, reported
        target, view = targets[code], views[targets[code]["id"]]
        m = next(x for x in view["milestones"] if x["seq"] == 1)
        reporter = api.as_("unit_reporter", unit=target["lead_unit"])
        if code in lagging:
            lag += 1
            if m["status"] in ("overdue", "pending", "due_soon") and not m.get("latest_value") and m.get("expected_value"):
                await api.report(target, m, reporter, value=round(m["expected_value"] * 0.6, 2),
                                 narrative="部分完成，节点滞后。", on=date(year, 3, 28))
                reported += 1
            await api.explain_lag(target, m, reporter, *lagging[code])
            return
        met += 1
        if m["status"].startswith("done"):
            return
        day = date(year, 3, 10 + (len(code) * 7 + ord(code[-1])) % 21)
        await api.report(target, m, reporter, value=m.get("expected_value"), narrative="按计划完成第一季度节点任务。",
                         on=day)
        reported += 1

    await api.gather((one(c) for c in subs), limit=4)
    say(f"第一季度：{len(subs)} 个子项目节点中 {met} 个按时完成，{lag} 个滞后（本次补录 {reported} 条进展）")


async def _supervision_knows(api: DemoApi, target: dict, timeout: float = 60) -> bool:
    """Supervision learns targets from planning's events; on a busy machine that can take a while."""
    for _ in range(int(timeout / 0.5)):
        try:
            await api.get("supervision", f"targets/{target['id']}", api.as_("supervisor"))
            return True
        except RuntimeError:
            await asyncio.sleep(0.5)
    say(f"督查服务尚未收到目标 {target['code']}，暂不签发督办单")
    return False


async def issue_orders(api: DemoApi, targets: dict[str, dict]) -> None:
    """The supervision office issues orders on three lagging sub-items; the first unit has already replied."""
    office = api.as_("supervisor")
    subs = sorted(c for c in targets if c.count("-") == 3)
    codes = [c for c, (kind, *_rest) in zip(lagging_codes(subs), LAG_REASONS) if kind == "subjective"][:3] or \
        lagging_codes(subs)[:1]
    try:
        existing = {o["target_id"] for o in await api.get("supervision", "orders", office)}
        issued = 0
        for i, code in enumerate(codes):
            target = targets[code]
            if target["id"] in existing or not await _supervision_knows(api, target):
                continue
            order = await api.post("supervision", "orders", {
                "unit": target["lead_unit"], "subject_kind": "target", "target_id": target["id"],
                "leader": target.get("leader"), "title": f"关于「{target['title'][:60]}」节点滞后的督办",
                "requirement": "请说明滞后原因，制定整改措施，并于回复时限前报送整改落实情况。",
                "reply_by": (max(demo_today(), date.today()) + timedelta(days=7)).isoformat()}, office)
            issued += 1
            if i == 0:
                await api.post("supervision", f"orders/{order['id']}/replies",
                               {"progress": "已召开专题推进会，倒排工期，预计4月底前完成节点任务。", "evidence": []},
                               api.as_("unit_reporter", unit=target["lead_unit"]))
        say(f"督办：对 {len(codes)} 个滞后子项目签发督办单（本次新签 {issued} 份）")
    except Missing as exc:
        say(f"跳过督办单：{exc}")


async def request_cooperation(api: DemoApi, year: int, targets: dict[str, dict]) -> None:
    """Lead units ask their cooperating units for help on six sub-items (>80% cross departments); four confirmed."""
    subs = [targets[c] for c in sorted(targets) if c.count("-") == 3 and targets[c]["cooperating_units"]][:6]
    made = 0
    for i, target in enumerate(subs):
        lead, partner = target["lead_unit"], target["cooperating_units"][0]
        asked = await api.get("execution", "cooperation-requests", api.as_("target_office"),
                              params={"scope": SCOPE, "target_id": target["id"]})
        if asked:
            continue
        req = await api.post("execution", f"targets/{target['id']}/cooperation-requests",
                             {"cooperating_unit": partner, "description": "请协助提供相关审批材料并参加现场协调会",
                              "due_date": date(year, 5, 15).isoformat()}, api.as_("unit_reporter", unit=lead))
        made += 1
        if i < 4:
            await api.post("execution", f"cooperation-requests/{req['id']}/confirm", {},
                           api.as_("unit_reporter", unit=partner))
    say(f"配合事项：{len(subs)} 个子项目向配合单位发出配合请求（本次新发 {made} 个）")


async def add_target_mid_year(api: DemoApi, year: int, targets: dict[str, dict]) -> None:
    """One adjustment that adds a target (动态调整：新增), requested and approved."""
    code = f"{year}-TZ-01"
    if code in targets:
        return
    office = api.as_("target_office")
    body = {"reason": "区委常委会决定年中新增：老旧小区电动自行车集中充电设施建设",
            "target": {"scope": SCOPE, "year": year, "code": code, "title": "老旧小区电动自行车集中充电设施全覆盖",
                       "area": "民生保障", "category": "public_service", "source": "区委要求", "lead_unit": "U-FG",
                       "responsible_units": ["U-XJH"], "cooperating_units": ["U-YJ"], "leader": "L-LI",
                       "indicator": {"kind": "quantitative", "unit_of_measure": "个小区", "baseline": 0,
                                     "target_value": 120, "direction": "up", "cumulative": True},
                       "milestones": [{"due_date": f"{year}-09-30", "expected_value": 60},
                                      {"due_date": f"{year}-12-31", "expected_value": 120}]}}
    try:
        pending = [a for a in await api.get("planning", "adjustments", office, params={"scope": SCOPE})
                   if (a.get("proposal", {}).get("target") or a.get("proposal", {})).get("code") == code]
        adjustment = pending[0] if pending else await api.post("planning", "adjustments", body, office)
        if adjustment["status"] == "pending":
            await api.post("planning", f"adjustments/{adjustment['id']}/approve", {"comment": "同意新增"}, office)
        say("动态调整：年中新增目标「老旧小区电动自行车集中充电设施全覆盖」已审批")
    except Missing as exc:
        say(f"跳过动态调整：{exc}")


async def backfill_voice(api: DemoApi, year: int) -> None:
    from bihuan_local.demo_feeds import backfill

    until = min(demo_today(), date(year, 4, 8))
    try:
        sent = await backfill(api, year, until, per_day=10 if demo_limit() else 40)
        say(f"12345 工单与窗口评价：{year}-01-01 至 {until} 共 {sent} 条（重复运行不重复入库）")
    except Missing as exc:
        say(f"跳过热线数据：{exc}")


async def run_demo() -> dict:
    year = demo_year()
    async with httpx.AsyncClient(timeout=30) as client:
        api = DemoApi(client, SCOPE)
        await seed_city(client, year)
        await seed_directory(api)
        targets = await publish_book(api, year)
        # Later steps stand alone: one that fails is reported and the others still run (a rerun completes it).
        for name, step in (("责任书", sign_contracts(api, year, targets)),
                           ("第一季度进展", replay_first_quarter(api, year, targets)),
                           ("督办单", issue_orders(api, targets)),
                           ("配合请求", request_cooperation(api, year, targets)),
                           ("动态调整", add_target_mid_year(api, year, targets)),
                           ("热线数据", backfill_voice(api, year)),
                           ("市级交办", publish_city_tasks(client, year)),
                           ("全市热线", city_hotline(client, year)),
                           ("考核", compute_assessment(api, year, say)),
                           ("市对区考核", assess_districts(client, year))):
            try:
                await step
            except (RuntimeError, httpx.HTTPError) as exc:
                say(f"{name}未完成（重新运行 make up 可补齐）：{exc}")
        _welcome()
        return targets


def _welcome() -> None:
    from bihuan_local.console_server import console_port

    day = demo_today()
    phase = "第一季度末" if day.month <= 4 else "年末"
    print(f"""
演示区已就绪（演示时钟 {day}，{phase}）。打开 http://127.0.0.1:{console_port()}/ ，选择角色即可登录：
  目标办        工作概览、目标书（Excel 导入、发布、动态调整）、单位目录
  单位填报员    选单位「虹梅路街道（U-HM）」：我的目标、填报进展（可上传佐证材料）、说明滞后原因
  分管领导      选「李海燕」：红黄绿灯领导看板，点击目标下钻
  督查室        预警、督办单、热线与窗口分析
  考核办        排名与等次、每一分的得分说明、发布与导出
示范市：登录时辖区填 democity，选「目标办」或「分管领导」：全市看板（各区红黄绿灯）、市级交办任务的分解与汇总；
        选「考核办」：市对区考核的排名与计分卡
全年回放并发布考核结果：make demo-year
""", flush=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(run_demo())

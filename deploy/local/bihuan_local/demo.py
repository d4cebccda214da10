"""The demo district, driven through the public APIs exactly as users would: the target office drafts and
publishes targets, units report progress, and the supervision and assessment views fill from the events.
Idempotent: a second run finds its targets and only reports what is missing."""
import asyncio
import logging
from datetime import date

import httpx

from bihuan_local.catalog import SERVICES
from bihuan_shared.auth.tokens import mint_token
from bihuan_shared.settings import ServiceSettings

log = logging.getLogger("bihuan.demo")

SCOPE = "demo"
PLANNING, EXECUTION, SUPERVISION, ASSESSMENT = (svc.base_url() + "/api/v1" for svc in SERVICES)


def _quarters(year: int) -> list[date]:
    return [date(year, 3, 31), date(year, 6, 30), date(year, 9, 30), date(year, 12, 31)]


def demo_targets(year: int) -> list[dict]:
    q = _quarters(year)
    return [
        {"code": f"{year}-ZX-01", "title": "每万人口发明专利拥有量达到69件", "category": "special_work", "source": "市级交办",
         "area": "科技创新", "lead_unit": "U-KW", "responsible_units": ["U-ZSCQ"], "cooperating_units": ["U-FGW"],
         "leader": "L-WANG", "weight": 3,
         "indicator": {"kind": "quantitative", "unit_of_measure": "件/万人", "baseline": 60, "target_value": 69,
                       "direction": "up", "cumulative": True},
         "milestones": [{"due_date": d.isoformat(), "expected_value": v} for d, v in zip(q, [62, 64, 66.5, 69])]},
        {"code": f"{year}-ZD-07", "title": "虹梅街道沿河15处违法建筑拆除（1895平方米）", "category": "key_work",
         "source": "区级", "area": "城市管理", "lead_unit": "U-HM", "responsible_units": [],
         "cooperating_units": ["U-CGZF"], "leader": "L-LI", "weight": 2,
         "indicator": {"kind": "quantitative", "unit_of_measure": "处", "baseline": 0, "target_value": 15,
                       "direction": "up", "cumulative": True},
         "milestones": [{"due_date": d.isoformat(), "expected_value": v} for d, v in zip(q[:3], [5, 11, 15])]},
        {"code": f"{year}-SS-03", "title": "区政务服务“一网通办”平台全面上线", "category": "public_service",
         "source": "区委要求", "area": "营商环境", "lead_unit": "U-ZWB", "responsible_units": ["U-DSJ"],
         "cooperating_units": [], "leader": "L-WANG", "weight": 1,
         "indicator": {"kind": "qualitative"},
         "milestones": [{"due_date": q[1].isoformat(), "deliverable": "完成平台招标与需求评审"},
                        {"due_date": q[3].isoformat(), "deliverable": "平台全区上线，事项接入率100%"}]},
    ]


def _headers(role: str, unit: str | None = None) -> dict:
    token = mint_token(ServiceSettings(), user=f"demo-{role}@{unit or SCOPE}", roles=[role], unit=unit, scope=SCOPE)
    return {"Authorization": f"Bearer {token}"}


async def _publish(client: httpx.AsyncClient, spec: dict, year: int) -> dict:
    office = _headers("target_office")
    found = (await client.get(f"{PLANNING}/targets", params={"scope": SCOPE, "year": year, "q": spec["title"]},
                              headers=office)).json()["items"]
    target = found[0] if found else None
    if target is None:
        r = await client.post(f"{PLANNING}/targets", json={"scope": SCOPE, "year": year, **spec}, headers=office)
        r.raise_for_status()
        target = r.json()
    for action, status in (("submit", "draft"), ("approve", "submitted"), ("publish", "approved")):
        if target["status"] == status:
            r = await client.post(f"{PLANNING}/targets/{target['id']}/{action}", json={"comment": "演示数据"},
                                  headers=office)
            r.raise_for_status()
            target = r.json()
    return target


async def _wait_in_execution(client: httpx.AsyncClient, target_id: str, unit: str) -> dict:
    for _ in range(100):
        r = await client.get(f"{EXECUTION}/targets/{target_id}", headers=_headers("unit_reporter", unit))
        if r.status_code == 200:
            return r.json()
        await asyncio.sleep(0.1)
    raise RuntimeError(f"execution never learned target {target_id}")


async def _report_upcoming(client: httpx.AsyncClient, target: dict) -> None:
    """The lead unit reports the next milestone due from today as done: early completion, as the leaders ask."""
    unit = target["lead_unit"]
    view = await _wait_in_execution(client, target["id"], unit)
    upcoming = [m for m in view["milestones"] if m["status"] in ("pending", "due_soon")]
    if not upcoming:
        return
    m = upcoming[0]
    body = ({"actual_value": m["expected_value"]} if m["expected_value"] is not None else {"deliverable_done": True})
    body["narrative"] = "按计划推进，节点提前完成。"
    r = await client.post(f"{EXECUTION}/targets/{target['id']}/milestones/{m['id']}/progress", json=body,
                          headers=_headers("unit_reporter", unit))
    r.raise_for_status()


async def run_demo() -> None:
    year = date.today().year
    async with httpx.AsyncClient(timeout=10) as client:
        targets = [await _publish(client, spec, year) for spec in demo_targets(year)]
        for target in targets:
            await _report_upcoming(client, target)
        await asyncio.sleep(1.0)
        print(f"\n演示辖区「{SCOPE}」{year} 年度目标书：已发布 {len(targets)} 项目标", flush=True)
        for target in targets:
            view = (await client.get(f"{SUPERVISION}/targets/{target['id']}", headers=_headers("supervisor"))).json()
            statuses = ", ".join(m["status"] for m in view.get("milestones", []))
            done = (await client.get(f"{ASSESSMENT}/completion", params={"scope": SCOPE, "unit": target["lead_unit"]},
                                     headers=_headers("assessor"))).json()
            print(f"  · {target['code']} {target['title']}\n      督查视图节点状态: {statuses}\n"
                  f"      考核: 牵头单位 {target['lead_unit']} 节点 {done.get('milestones')} 个，已完成 {done.get('completed')} 个"
                  f"（提前 {done.get('early')}）", flush=True)

"""Citizens' voice for the demo: 12345 hotline work orders and service-window ratings posted in batches to
supervision's feed endpoint with a `feed` identity, as the hotline and the windows do around the clock.
`backfill` sends the months so far once (stable ids: a second run stores nothing new); `stream_feeds` keeps
sending fresh records every few seconds while `make up` runs."""
import asyncio
import random
from datetime import date, datetime, time, timedelta, timezone

import httpx

from bihuan_local.demo_api import DemoApi, Missing
from bihuan_local.demo_clock import demo_today
from bihuan_local.demo_district import SCOPE, STREETS, UNITS

CST = timezone(timedelta(hours=8))
CATEGORIES = [("市容环境", "占道经营", "U-CGZF"), ("市容环境", "垃圾分类", "U-LH"), ("房屋管理", "加装电梯", "U-FG"),
              ("房屋管理", "物业服务", "U-FG"), ("交通出行", "停车管理", "U-JS"), ("噪声扰民", "施工噪声", "U-HB"),
              ("公共安全", "燃气隐患", "U-YJ"), ("市场监管", "消费投诉", "U-SC"), ("社会保障", "养老服务", "U-MZ"),
              ("教育", "入学咨询", "U-JY"), ("医疗卫生", "就医服务", "U-WJW"), ("河道违建", "违法搭建", "U-HM")]
WINDOW_UNITS = ["U-ZWB", "U-SC", "U-RS", "U-FG", "U-MZ", "U-WJW", *STREETS]
LEVELS = ["非常满意"] * 6 + ["满意"] * 3 + ["基本满意", "不满意"]
SATISFACTION = ["非常满意"] * 5 + ["满意"] * 3 + ["基本满意", "不满意"]


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(8 + rng.randrange(10), rng.randrange(60)), CST)


def hotline_order(order_id: str, received: datetime, rng: random.Random, closed: bool = True) -> dict:
    category, sub, bureau = rng.choice(CATEGORIES)
    unit = rng.choice(STREETS) if rng.random() < 0.45 else bureau
    step = lambda status, minutes: {"status": status, "at": (received + timedelta(minutes=minutes)).isoformat()}
    history = [step("受理", 0), step("派单", 10), step("签收", 30 + rng.randrange(150))]
    order = {"order_id": order_id, "version": 1, "received_at": received.isoformat(), "channel": "电话",
             "category": category, "sub_category": sub, "district": "徐汇区", "street": dict((u[0], u[1]) for u in UNITS).get(unit, ""),
             "content": f"市民反映{sub}问题", "assigned_unit": unit, "status_history": history,
             "sign_in_deadline": (received + timedelta(hours=2)).isoformat(),
             "close_deadline": (received + timedelta(days=7)).isoformat()}
    if closed:
        order["version"] = 2
        history += [step("办理", 300), step("回复", 1440 + rng.randrange(7000)), step("办结", 1500 + rng.randrange(9000))]
        order.update(resolved=rng.random() < 0.9, satisfaction=rng.choice(SATISFACTION))
        if rng.random() < 0.06:
            order["repeat_of"] = f"R-{rng.randrange(10 ** 6)}"
    return order


def window_rating(rating_id: str, rated: datetime, rng: random.Random) -> dict:
    unit = rng.choice(WINDOW_UNITS)
    return {"rating_id": rating_id, "version": 1, "unit": unit, "rated_at": rated.isoformat(),
            "window": f"{rng.randrange(1, 12)}号窗口", "service_item": rng.choice(["企业开办", "社保办理", "居住证", "医保报销", "不动产登记"]),
            "level": rng.choice(LEVELS)}


async def post_batch(api: DemoApi, source: str, records: list[dict]) -> dict:
    return await api.post("supervision", f"feeds/{source}/records", {"records": records},
                          api.as_("feed", user=f"feed-{source}@{SCOPE}"))


async def backfill(api: DemoApi, year: int, until: date, per_day: int = 40) -> int:
    """The year's hotline orders and window ratings up to `until`, deterministic ids (idempotent)."""
    sent, day = 0, date(year, 1, 1)
    while day < until:
        rng = random.Random(day.toordinal())
        orders = [hotline_order(f"H{day:%Y%m%d}-{i:04d}", _at(day, rng), rng) for i in range(per_day)]
        ratings = [window_rating(f"W{day:%Y%m%d}-{i:04d}", _at(day, rng), rng) for i in range(per_day // 2)]
        await post_batch(api, "hotline", orders)
        await post_batch(api, "service_window", ratings)
        sent += len(orders) + len(ratings)
        day += timedelta(days=1)
    return sent


async def stream_feeds(interval: float = 5.0) -> None:
    """Fresh orders and ratings every few seconds, dated today on the demo clock; stops when cancelled."""
    async with httpx.AsyncClient(timeout=30) as client:
        api = DemoApi(client, SCOPE)
        rng, n = random.Random(), 0
        print("演示 | 12345 工单与窗口评价持续接入中（每 5 秒一批）", flush=True)
        while True:
            day = demo_today()
            now = datetime.combine(day, datetime.now(CST).time(), CST)
            stamp = datetime.now(CST).strftime("%H%M%S%f")
            try:
                await post_batch(api, "hotline", [hotline_order(f"L{day:%Y%m%d}-{stamp}-{i}", now, rng,
                                                                closed=rng.random() < 0.5) for i in range(8)])
                await post_batch(api, "service_window", [window_rating(f"LW{day:%Y%m%d}-{stamp}-{i}", now, rng)
                                                         for i in range(4)])
                n += 12
            except Missing as exc:
                print(f"演示 | 停止推送热线数据：{exc}", flush=True)
                return
            except (httpx.HTTPError, RuntimeError) as exc:
                print(f"演示 | 推送热线数据失败，稍后重试：{exc}", flush=True)
            await asyncio.sleep(interval)

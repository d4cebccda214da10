"""`make demo-year`: the rest of the demo year, replayed through the APIs with backfilled dates (补录): every
remaining milestone reported (the Q1 laggards catch up in April, a few later milestones slip), the year's
citizens' voice backfilled, the assessment recomputed and published."""
import asyncio
from datetime import date, timedelta

import httpx

from bihuan_local.demo_api import DemoApi, Missing
from bihuan_local.demo_assessment import compute_assessment, recompute
from bihuan_local.demo_clock import demo_today, mark_year_played
from bihuan_local.demo_district import SCOPE


def say(text: str) -> None:
    print(f"演示 | {text}", flush=True)


async def replay_rest_of_year(api: DemoApi, year: int, targets: dict[str, dict]) -> None:
    today = demo_today()
    published = [t for t in targets.values() if t["status"] == "published"]
    views = await api.execution_views(published)
    done = late = 0

    async def one(target: dict) -> None:
        nonlocal done, late
        view = views[target["id"]]
        reporter = api.as_("unit_reporter", unit=target["lead_unit"])
        for m in sorted(view["milestones"], key=lambda x: x["seq"]):
            due = date.fromisoformat(m["due_date"])
            if m["status"].startswith("done") or due > today:
                continue
            q1_laggard = due.month <= 3  # every other Q1 milestone was reported in March
            slips = q1_laggard or (len(target["code"]) + m["seq"]) % 37 == 0  # and a rare slip later in the year
            day = min(due + timedelta(days=12), today) if slips else due - timedelta(days=1 + m["seq"] % 5)
            await api.report(target, m, reporter, narrative="节点任务已完成，佐证材料已归档。" if not slips
                             else "克服困难后完成节点任务。", on=day)
            done += 1
            late += slips

    await api.gather((one(t) for t in published), limit=4)
    say(f"全年回放：补录 {done} 个节点完成（其中 {late} 个逾期完成）")


async def run_year() -> None:
    from bihuan_local.demo import demo_limit, demo_year, run_demo
    from bihuan_local.demo_feeds import backfill

    year = demo_year()
    targets = await run_demo()
    async with httpx.AsyncClient(timeout=30) as client:
        api = DemoApi(client, SCOPE)
        await replay_rest_of_year(api, year, targets)
        try:
            sent = await backfill(api, year, min(demo_today(), date(year, 12, 31)), per_day=10 if demo_limit() else 40)
            say(f"全年 12345 工单与窗口评价：已补录 {sent} 条")
        except Missing as exc:
            say(f"跳过热线数据补录：{exc}")
        assessment = await compute_assessment(api, year, say)
        if assessment and assessment["status"] != "published":
            try:
                await recompute(api, assessment["id"])
                await api.post("assessment", f"assessments/{assessment['id']}/publish", {}, api.as_("assessor"))
                say(f"考核：{year} 年度考核结果已发布")
            except Missing as exc:
                say(f"跳过考核发布：{exc}")
    mark_year_played()


if __name__ == "__main__":
    asyncio.run(run_year())

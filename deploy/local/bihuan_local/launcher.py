"""`make up`: provision, migrate, start every API and worker, wait until all are ready, seed and play the demo
district, then stay in the foreground until Ctrl-C, which stops every process it started."""
import argparse
import asyncio
import logging
import os
import signal
import sys
import time

import httpx

from bihuan_local.catalog import SERVICES
from bihuan_local.console_build import ensure_console_built
from bihuan_local.console_server import claim_console_port, console_port
from bihuan_local.processes import Child, start, start_console, stop_all
from bihuan_local.provision import provision_databases, provision_topology, provision_vhost

log = logging.getLogger("bihuan.launcher")


async def wait_ready(timeout: float = 90.0) -> float:
    started = time.monotonic()
    pending = {svc.name: svc.base_url() + "/readyz" for svc in SERVICES}
    async with httpx.AsyncClient(timeout=2) as client:
        while pending and time.monotonic() - started < timeout:
            for name, url in list(pending.items()):
                try:
                    if (await client.get(url)).status_code == 200:
                        pending.pop(name)
                except httpx.HTTPError:
                    pass
            await asyncio.sleep(0.3)
    if pending:
        raise RuntimeError(f"not ready after {timeout:.0f}s: {', '.join(pending)}")
    return time.monotonic() - started


def banner(ready_after: float) -> str:
    lines = ["", "=" * 78, f" 闭环 Bihuan is up (all four services ready in {ready_after:.1f}s)", "",
             f"   控制台 console  http://127.0.0.1:{console_port()}/   (开发登录：选择角色与单位即可进入)", ""]
    for svc in SERVICES:
        lines.append(f"   {svc.name:<12} {svc.base_url()}/docs    (readyz: {svc.base_url()}/readyz)")
    lines += ["", " A development token (roles: target_office unit_reporter leader supervisor assessor third_party feed):",
              "   make token ROLE=target_office            # or ROLE=unit_reporter UNIT=U-HM",
              "   curl -H \"Authorization: Bearer $(make -s token ROLE=supervisor)\" "
              f"{SERVICES[2].base_url()}/api/v1/...",
              " Ctrl-C stops everything.", "=" * 78, ""]
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s launcher | %(message)s", stream=sys.stdout)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    t0 = time.monotonic()
    # The local launcher is development by definition: the children (APIs, workers, console with its dev login)
    # inherit this and accept the public development secret; nothing else does.
    os.environ.setdefault("BIHUAN_ENV", "development")
    provision_vhost()
    await provision_databases()
    await provision_topology()
    if args.demo or args.demo_year:
        from bihuan_local.demo_clock import pin_clock

        log.info("演示时钟：%s（可用 BIHUAN_EXECUTION_TODAY 等变量覆盖）", pin_clock(args.demo_year))
    console = args.console and await asyncio.to_thread(ensure_console_built)
    children: list[Child] = []
    background: list[asyncio.Task] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        for i, svc in enumerate(SERVICES):
            children += await start(svc, i, json_logs=args.json_logs,
                                    workers=args.assessment_workers if svc.name == "assessment" else 1)
        if args.console:
            claim_console_port()
            children += await start_console(len(SERVICES))
            if not console:
                log.warning("控制台未构建，网页地址只显示构建提示；接口不受影响")
        await wait_ready()
        print(banner(time.monotonic() - t0), flush=True)
        if args.demo or args.demo_year:
            if not await _play_demo(args, stop):
                return 130
        if args.exit_after_demo:
            return 0
        if args.demo or args.demo_year:
            from bihuan_local.demo_feeds import stream_feeds

            background.append(asyncio.create_task(stream_feeds()))  # 12345 and window ratings keep flowing
        watchers = [asyncio.create_task(c.process.wait()) for c in children]
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([stopper, *watchers], return_when=asyncio.FIRST_COMPLETED)
        if stopper not in done:
            dead = [c.label for c in children if c.process.returncode is not None]
            log.error("process exited unexpectedly: %s; stopping everything", ", ".join(dead))
            return 1
        return 0
    finally:
        for task in background:
            task.cancel()
        log.info("stopping %d processes", len(children))
        await stop_all(children)
        log.info("all processes stopped")


async def _play_demo(args: argparse.Namespace, stop: asyncio.Event) -> bool:
    """Seed (and with --demo-year replay) the demo district; Ctrl-C while it runs stops it. False when stopped."""
    if args.demo_year:
        from bihuan_local.demo_year import run_year as play
    else:
        from bihuan_local.demo import run_demo as play
    demo = asyncio.create_task(play())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([demo, stopper], return_when=asyncio.FIRST_COMPLETED)
    if not demo.done():
        demo.cancel()
        return False
    stopper.cancel()
    if demo.exception() is not None:
        log.error("演示数据未能完整生成（服务继续运行）：%r", demo.exception())
    return True


def cli() -> None:
    parser = argparse.ArgumentParser(description="Run Bihuan locally (no containers).")
    parser.add_argument("--no-demo", dest="demo", action="store_false", help="do not seed the demo district")
    parser.add_argument("--exit-after-demo", action="store_true", help="stop once the demo has run (smoke test)")
    parser.add_argument("--json-logs", action="store_true", help="JSON logs as in production")
    parser.add_argument("--assessment-workers", type=int, default=1)
    parser.add_argument("--demo-year", action="store_true",
                        help="play the whole demo year (make demo-year): report every milestone, publish the assessment")
    parser.add_argument("--no-console", dest="console", action="store_false", help="do not build/serve the console")
    sys.exit(asyncio.run(main(parser.parse_args())))


if __name__ == "__main__":
    cli()

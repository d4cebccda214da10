"""`make bench` / `python -m bihuan_bench`: in one go on this machine, the raw servers' baselines, the system's
pipeline, and every service's own benchmark (bihuan_<service>.bench.run(env), where present); medians of several runs,
printed side by side with ratios and written to bench-results-<timestamp>.json so runs can be compared.

Default sizes keep the whole run under ten minutes here; --quick for a smoke run, --skip-services for the shared
figures only, --services planning,supervision for some."""
import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
import traceback
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path

from bihuan_bench.baselines import postgres_copy_rate, rabbitmq_rates
from bihuan_bench.pipeline import pipeline_runs
from bihuan_shared.testing.bench import bench_environment
from bihuan_shared.testing.routes import SERVICES


def medians(runs: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def ratio(value: float, baseline: float) -> float | None:
    return value / baseline if baseline else None


async def shared_figures(args) -> dict:
    async with bench_environment() as env:
        print(f"baselines: RabbitMQ {args.messages} messages, PostgreSQL COPY {args.copy_rows} rows, "
              f"{args.runs} runs each", flush=True)
        rabbit = medians([await rabbitmq_rates(env, args.messages) for _ in range(args.runs)])
        copy = medians([await postgres_copy_rate(env, args.copy_rows) for _ in range(args.runs)])
        print(f"pipeline: {args.events} events x {args.runs} runs through outbox -> relay -> 3 consumers", flush=True)
        pipeline = medians(await pipeline_runs(env, args.events, args.runs))
    baselines = {"rabbitmq_confirmed_publish_msg_per_s": rabbit["publish_msg_per_s"],
                 "rabbitmq_consume_msg_per_s": rabbit["consume_msg_per_s"],
                 "postgres_copy_rows_per_s": copy["copy_rows_per_s"]}
    system = {"pipeline_events_per_s": pipeline["events_per_s"],
              "pipeline_applications_per_s": pipeline["applications_per_s"],
              "pipeline_lag_p50_ms": pipeline["lag_p50_ms"], "pipeline_lag_p95_ms": pipeline["lag_p95_ms"],
              **{f"pipeline_{k}": v for k, v in pipeline.items() if k.startswith("lag_p95_ms[")}}
    ratios = {
        "pipeline_events_vs_raw_publish": ratio(system["pipeline_events_per_s"],
                                                baselines["rabbitmq_confirmed_publish_msg_per_s"]),
        "pipeline_applications_vs_raw_consume": ratio(system["pipeline_applications_per_s"],
                                                      baselines["rabbitmq_consume_msg_per_s"]),
        "pipeline_applications_vs_raw_copy": ratio(system["pipeline_applications_per_s"],
                                                   baselines["postgres_copy_rows_per_s"]),
    }
    return {"baselines": baselines, "system": system, "ratios": ratios}


async def service_figures(names: list[str], timeout: float) -> dict:
    results = {}
    # A service's benchmarks: bench.py, and bench_city.py for the city tier's figures (issue 15's scale).
    for service, suffix in [(n, suffix) for n in names for suffix in ("", "_city")]:
        name = service + suffix
        try:
            module = import_module(f"bihuan_{service}.bench{suffix}")
        except ModuleNotFoundError:
            continue
        if not hasattr(module, "run"):
            continue
        print(f"\n{name}: {module.__name__}.run", flush=True)
        started = time.perf_counter()
        try:
            async with bench_environment() as env:
                figures = await asyncio.wait_for(module.run(env), timeout=timeout)
            results[name] = {"figures": figures, "seconds": time.perf_counter() - started}
        except Exception as exc:  # one service's benchmark failing must not lose the others' figures
            traceback.print_exc()
            results[name] = {"error": f"{type(exc).__name__}: {exc}", "seconds": time.perf_counter() - started}
    return results


def print_summary(shared: dict, services: dict) -> None:
    b, s, r = shared["baselines"], shared["system"], shared["ratios"]
    rows = [
        ("pipeline events/s (all 3 consumers applied)", s["pipeline_events_per_s"], "RabbitMQ confirmed publish",
         b["rabbitmq_confirmed_publish_msg_per_s"], r["pipeline_events_vs_raw_publish"]),
        ("pipeline applications/s (handler + inbox)", s["pipeline_applications_per_s"], "RabbitMQ consume + ack",
         b["rabbitmq_consume_msg_per_s"], r["pipeline_applications_vs_raw_consume"]),
        ("", None, "PostgreSQL COPY rows/s", b["postgres_copy_rows_per_s"], r["pipeline_applications_vs_raw_copy"]),
    ]
    print("\n" + "=" * 100)
    print(f"{'figure':<46}{'value':>12}  {'baseline':<28}{'value':>12}{'ratio':>8}")
    for name, value, base_name, base, rat in rows:
        v = f"{value:,.0f}" if value is not None else ""
        print(f"{name:<46}{v:>12}  {base_name:<28}{base:>12,.0f}{(rat or 0):>8.3f}")
    print(f"{'pipeline lag commit -> applied p50 / p95 (ms)':<46}"
          f"{s['pipeline_lag_p50_ms']:>12,.0f} / {s['pipeline_lag_p95_ms']:,.0f}")
    for key, value in s.items():
        if key.startswith("pipeline_lag_p95_ms["):
            print(f"  p95 at {key.split('[')[1].rstrip(']'):<38}{value:>14,.0f} ms")
    print(f"machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(other work on the machine slows every figure; compare ratios, not absolutes)")
    for name, result in services.items():
        print(f"\n{name}:")
        if "error" in result:
            print(f"  FAILED: {result['error']}")
            continue
        for key, value in (result["figures"] or {}).items():
            print(f"  {key:<56} {value:>14,.2f}" if isinstance(value, (int, float)) else f"  {key:<56} {value}")
    print("=" * 100)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="events per pipeline run")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; medians are reported")
    parser.add_argument("--messages", type=int, default=20_000, help="messages per raw RabbitMQ run")
    parser.add_argument("--copy-rows", type=int, default=200_000, help="rows per raw COPY run")
    parser.add_argument("--services", default=",".join(SERVICES), help="whose bihuan_<service>.bench to run")
    parser.add_argument("--skip-services", action="store_true", help="only the baselines and the pipeline")
    parser.add_argument("--service-timeout", type=float, default=240, help="seconds per service benchmark")
    parser.add_argument("--quick", action="store_true", help="small sizes, one run: a smoke test")
    parser.add_argument("--out", default=".", help="folder for bench-results-<timestamp>.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.runs, args.messages, args.copy_rows = 300, 1, 2000, 20_000
    started = time.perf_counter()
    shared = await shared_figures(args)
    services = {} if args.skip_services else await service_figures(
        [s for s in args.services.split(",") if s], args.service_timeout)
    print_summary(shared, services)
    results = {"at": datetime.now(UTC).isoformat(), "seconds": time.perf_counter() - started,
               "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "host": platform.node()},
               "parameters": {k: v for k, v in vars(args).items() if k != "out"}, **shared, "services": services}
    path = Path(args.out) / f"bench-results-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(f"figures written to {path} ({results['seconds']:.0f}s)")
    return 1 if any("error" in r for r in services.values()) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

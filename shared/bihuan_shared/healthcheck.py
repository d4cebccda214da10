"""Container health check: `python -m bihuan_shared.healthcheck` (the images' HEALTHCHECK).

API containers: GET http://127.0.0.1:<port>/healthz answers 200 (the port is BIHUAN_<SERVICE>_HTTP_PORT, else the
image's default). Worker containers have no HTTP server; `--dependencies` checks instead that the service's database
and broker answer, which is what a worker needs to make progress. Standard library only for the HTTP case, so the
check stays cheap when run every few seconds."""
import argparse
import asyncio
import os
import sys
import urllib.error
import urllib.request


def check_http(port: int, path: str = "/healthz", timeout: float = 3.0) -> str | None:
    """None when healthy, else the reason."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
            return None if response.status == 200 else f"{path} answered {response.status}"
    except urllib.error.HTTPError as exc:
        return f"{path} answered {exc.code}"
    except OSError as exc:
        return f"{path} unreachable: {exc}"


async def check_dependencies(service: str, timeout: float = 5.0) -> str | None:
    import aio_pika
    import asyncpg

    from bihuan_shared.db import asyncpg_dsn
    from bihuan_shared.migrate import service_settings

    settings = service_settings(service)
    try:
        conn = await asyncpg.connect(asyncpg_dsn(settings.database_url), timeout=timeout)
        await conn.close()
    except Exception as exc:
        return f"database unreachable: {exc!r}"
    try:
        amqp = await asyncio.wait_for(aio_pika.connect(settings.amqp_url), timeout)
        await amqp.close()
    except Exception as exc:
        return f"broker unreachable: {exc!r}"
    return None


def _default_port(service: str) -> int:
    from bihuan_shared.migrate import service_settings

    return service_settings(service).http_port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Health check of a Bihuan container.")
    parser.add_argument("--service", default=os.environ.get("BIHUAN_SERVICE"),
                        help="planning | execution | supervision | assessment (default: $BIHUAN_SERVICE)")
    parser.add_argument("--port", type=int, help="API port (default: the service's http_port setting)")
    parser.add_argument("--dependencies", action="store_true", help="worker mode: database and broker answer")
    args = parser.parse_args(argv)
    if not args.service and (args.dependencies or args.port is None):
        parser.error("--service or BIHUAN_SERVICE is required")
    if args.dependencies:
        problem = asyncio.run(check_dependencies(args.service))
    else:
        problem = check_http(args.port or _default_port(args.service))
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

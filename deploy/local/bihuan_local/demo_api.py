"""A small client of the four services for the demo: tokens per role, errors that say which call failed, bounded
concurrency, and `Missing` for a route a service does not offer (yet) so the demo can skip it and say so."""
import asyncio
import logging
import re
from collections.abc import Awaitable, Iterable

import httpx

from bihuan_local.catalog import SERVICES
from bihuan_shared.auth.tokens import mint_token
from bihuan_shared.settings import ServiceSettings

log = logging.getLogger("bihuan.demo")
BASE = {svc.name: svc.base_url() + "/api/v1" for svc in SERVICES}


class Missing(Exception):
    """The service answers a bare 404 / 405: the route is not there."""


class DemoApi:
    def __init__(self, client: httpx.AsyncClient, scope: str):
        self.client, self.scope = client, scope
        self.settings = ServiceSettings()
        self._tokens: dict[tuple, dict] = {}
        self.skipped: set[str] = set()

    def as_(self, role: str, unit: str | None = None, user: str | None = None) -> dict:
        key = (role, unit, user)
        if key not in self._tokens:
            token = mint_token(self.settings, user=user or f"demo-{role}@{unit or self.scope}", roles=[role],
                               unit=unit, scope=self.scope)
            self._tokens[key] = {"Authorization": f"Bearer {token}"}
        return self._tokens[key]

    async def call(self, method: str, service: str, path: str, headers: dict, **kw) -> dict | list:
        r = await self._send(method, f"{BASE[service]}/{path}", headers, **kw)
        if r.status_code == 405 or (r.status_code == 404 and '"code"' not in r.text and '"error"' not in r.text):
            route = re.sub(r"/[0-9a-f]{16,}|/\d+(?=/|$)", "/{id}", path.split("?")[0])
            raise Missing(f"{service} 尚未提供 {method} /api/v1/{route}")
        if r.status_code >= 400:
            raise RuntimeError(f"{method} {service}/{path} → {r.status_code}: {r.text[:400]}")
        return r.json() if r.content else {}

    async def _send(self, method: str, url: str, headers: dict, attempts: int = 5, **kw) -> httpx.Response:
        """Retry what a busy machine causes (connection errors, 5xx) with backoff; a 4xx is an answer.
        Writes are safe to retry here: every demo write is checked for existence first or is idempotent."""
        for attempt in range(attempts):
            try:
                r = await self.client.request(method, url, headers=headers, **kw)
                if r.status_code < 500 or attempt == attempts - 1:
                    return r
            except httpx.TransportError:
                if attempt == attempts - 1:
                    raise
            await asyncio.sleep(0.5 * 2 ** attempt)
        raise AssertionError("unreachable")

    async def get(self, service: str, path: str, headers: dict, params: dict | None = None):
        return await self.call("GET", service, path, headers, params=params)

    async def post(self, service: str, path: str, body, headers: dict):
        return await self.call("POST", service, path, headers, json=body)

    async def put(self, service: str, path: str, body, headers: dict):
        return await self.call("PUT", service, path, headers, json=body)

    async def gather(self, coros: Iterable[Awaitable], limit: int = 8) -> list:
        gate = asyncio.Semaphore(limit)

        async def bounded(c):
            async with gate:
                return await c

        return await asyncio.gather(*(bounded(c) for c in coros))

    def skip_once(self, what: str, exc: Exception) -> None:
        if what not in self.skipped:
            self.skipped.add(what)
            print(f"演示 | 跳过{what}：{exc}", flush=True)

    async def all_targets(self, year: int) -> list[dict]:
        out, page = [], 1
        while True:
            data = await self.get("planning", "targets", self.as_("target_office"),
                                  params={"scope": self.scope, "year": year, "size": 500, "page": page})
            out += data["items"]
            if len(out) >= data["total"] or not data["items"]:
                return out
            page += 1

    async def execution_views(self, targets: list[dict], timeout: float = 120) -> dict[str, dict]:
        """Wait until execution has learned every published target from planning's events."""
        views: dict[str, dict] = {}
        headers = self.as_("target_office")
        deadline = asyncio.get_running_loop().time() + timeout

        async def one(t: dict) -> None:
            while True:
                r = await self._send("GET", f"{BASE['execution']}/targets/{t['id']}", headers)
                if r.status_code == 200 and r.json()["version"] >= t.get("version", 1):
                    views[t["id"]] = r.json()
                    return
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(f"执行服务迟迟未收到目标 {t['code']}")
                await asyncio.sleep(0.3)

        await self.gather((one(t) for t in targets), limit=16)
        return views

    async def report(self, target: dict, milestone: dict, headers: dict, *, value=None, narrative: str, on) -> dict:
        body = {"narrative": narrative, "reported_on": on.isoformat()}
        if milestone.get("expected_value") is not None:
            body["actual_value"] = value if value is not None else milestone["expected_value"]
        else:
            body["deliverable_done"] = True
        return await self.post("execution", f"targets/{target['id']}/milestones/{milestone['id']}/progress", body,
                               headers)

    async def explain_lag(self, target: dict, milestone: dict, headers: dict, kind: str, category: str,
                          reason: str) -> None:
        path = f"targets/{target['id']}/milestones/{milestone['id']}/lag-explanations"
        try:
            if await self.get("execution", path, headers):
                return  # explained on an earlier run
            body = {"reason_kind": kind, "reason_category": category, "explanation": reason,
                    "recovery_plan": "倒排工期，加强协调，力争下一节点前追回进度。"}
            await self.post("execution", path, body, headers)
        except Missing as exc:
            self.skip_once("滞后原因说明", exc)
        except RuntimeError as exc:
            if "409" not in str(exc):  # already explained: idempotent
                raise

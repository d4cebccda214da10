"""Browser tests: the whole system with the (small) demo district and the console, on free ports, this run's own
databases and its own vhost, driven by headless Chromium from Debian's package through Playwright.
Never a downloaded browser: `playwright install` is not used anywhere."""
import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from bihuan_shared.testing.infra import create_vhost, delete_vhost
from bihuan_shared.testing.processes import free_port

CHROMIUM = os.environ.get("BIHUAN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
SHOTS = Path(os.environ.get("BIHUAN_ARTIFACTS", "artifacts")) / "browser"
NAMES = ("planning", "execution", "supervision", "assessment")
DEMO_DONE = "持续接入中"  # printed by the demo once seeding is over and the feeds start streaming


@dataclass
class Console:
    url: str
    services: dict[str, str]
    log_path: Path

    def openapi_paths(self, service: str) -> set[str]:
        return set(httpx.get(self.services[service] + "/openapi.json", timeout=10).json()["paths"])



@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def console(make_database, infra, run_id, tmp_path_factory):
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium")
    vhost = f"bihuan_browser_{run_id}"
    create_vhost(infra, vhost)
    env = dict(os.environ, BIHUAN_AMQP_URL=infra.vhost_url(vhost), BIHUAN_REDIS_URL=infra.redis_url,
               BIHUAN_REDIS_PREFIX=f"bihuan_browser_{run_id}", BIHUAN_DEMO_SIZE="small",
               BIHUAN_VAR_DIR=str(tmp_path_factory.mktemp("var")), BIHUAN_CONSOLE_HTTP_PORT=str(free_port()))
    services = {}
    for name in NAMES:
        prefix = f"BIHUAN_{name.upper()}_"
        port = free_port()
        env[prefix + "DATABASE_URL"] = await make_database(f"browser_{name}")
        env[prefix + "HTTP_PORT"] = str(port)
        env[prefix + "RETRY_DELAY_MS"] = "300"
        # Small pools: this system runs beside the e2e one, and the PostgreSQL server is shared with other runs.
        env[prefix + "DB_POOL_SIZE"] = "3"
        services[name] = f"http://127.0.0.1:{port}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_path = SHOTS.parent / f"browser-system-{run_id}.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "bihuan_local.launcher"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        await _wait_for_demo(proc, log_path)
        yield Console(f"http://127.0.0.1:{env['BIHUAN_CONSOLE_HTTP_PORT']}", services, log_path)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        delete_vhost(infra, vhost)


async def _wait_for_demo(proc: subprocess.Popen, log_path: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while DEMO_DONE not in log_path.read_text(errors="replace"):
        if proc.poll() is not None:
            raise RuntimeError(f"launcher exited with {proc.returncode}; see {log_path}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"demo not seeded after {timeout:.0f}s; see {log_path}")
        await asyncio.sleep(0.5)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser(console):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture
async def page(browser):
    """A fresh 1366×768 page (the smallest screen the console is made for), zh-CN."""
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = await context.new_page()
    page.set_default_timeout(20000)
    yield page
    await context.close()


@pytest.fixture
def login():
    return _login


@pytest.fixture
def shot():
    return _shot


@pytest.fixture
def register_own():
    return _register_own


@pytest.fixture
def create_target():
    return _create_target


async def _login(page, console: Console, role_label: str, unit: str | None = None, leader: str | None = None,
                 scope: str | None = None) -> None:
    """The dev login form as a person fills it: the scope if not the demo's, the role (and unit or leader), 开发登录."""
    await page.goto(console.url + "/login")
    if scope:
        await page.fill("input[name=scope]", scope)
    await page.click("[data-test=role]")
    await page.click(f".el-select-dropdown__item:visible >> text={role_label}")
    if unit:
        await page.click("[data-test=unit]")
        await page.click(f".el-select-dropdown__item:visible >> text=（{unit}）")
    if leader:
        await page.click("[data-test=leader]")
        await page.click(f".el-select-dropdown__item:visible >> text={leader}")
    await page.click("[data-test=login]")
    await page.wait_for_selector(".el-menu")


async def _register_own(page, name: str, *, city: bool = False) -> None:
    """A target office of a scope nobody registered yet registers it on the 辖区 page, as a first user does."""
    await page.click("[data-menu=scopes]")
    await page.wait_for_selector("[data-test=register-own]")
    await page.fill("input[name=own-name]", name)
    if city:
        await page.click("[data-test=kind-city]")
    await page.click("[data-test=register-own-submit]")
    await page.wait_for_selector("text=登记下属区" if city else "text=本区不隶属于任何市")


async def _create_target(page, code: str, title: str, lead_unit: str, value: str, due: str) -> None:
    """新建目标 on the 目标书 page as an office fills it: one quantitative milestone, saved as a draft."""
    dialog = page.locator(".el-dialog:visible")
    await dialog.locator(".el-form-item:has-text('目标编号') input").fill(code)
    await dialog.locator(".el-form-item:has-text('目标名称') input").fill(title)
    await dialog.locator(".el-form-item:has-text('牵头单位') .el-select").click()
    await page.click(f".el-select-dropdown__item:visible >> text={lead_unit}")
    await dialog.locator(".el-form-item:has-text('目标值') input").first.fill(value)
    await dialog.locator("input[placeholder=完成时限]").fill(due)
    await dialog.locator("input[placeholder=完成时限]").press("Enter")
    await dialog.locator(".el-form-item:has-text('节点目标') .el-input-number input").fill(value)
    await dialog.locator("text=保存草稿").click()
    await page.wait_for_selector("text=目标草稿已保存")


async def _shot(page, name: str) -> Path:
    path = SHOTS / f"{name}.png"
    await page.screenshot(path=str(path))
    return path

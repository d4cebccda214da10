"""deploy/k8s: the base and the city overlay render with kustomize, every built-in object validates against the
Kubernetes schemas (kubernetes-validate, offline), and the wiring is right: probes, ports, images, settings, scaling."""
import base64
import ipaddress
import re
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from deploy_support import IMAGE_TAG, K8S, SERVICES, by_kind, declared_queues

K8S_VERSION = "1.30.0"
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}")
CRD_KINDS = {"ScaledObject", "TriggerAuthentication"}  # KEDA's; not in the bundled schemas, checked below by hand
# service -> the queue its workers must scale on (the one its busy season fills)
AUTOSCALED = {"assessment": "assessment.jobs", "supervision": "supervision.hotline_feed"}


def test_every_manifest_file_parses():
    files = sorted(K8S.rglob("*.yaml"))
    assert len(files) >= 8
    for path in files:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert docs, f"{path} is empty"
        for doc in docs:
            assert isinstance(doc, dict) and ("kind" in doc or "$patch" in doc), path


@pytest.mark.parametrize("variant", ["base_objects", "city_objects", "dev_objects"])
def test_built_in_objects_validate_against_kubernetes_schemas(variant, request):
    objects = request.getfixturevalue(variant)
    checked = 0
    for obj in objects:
        if obj["kind"] in CRD_KINDS:
            continue
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        checked += 1
    assert checked >= 12


def test_schema_validation_catches_a_wrong_manifest():
    """Negative control: a probe port given as a number in a string is rejected."""
    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
           "spec": {"ports": [{"port": "8101"}], "selector": {"a": "b"}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)


@pytest.mark.parametrize("variant", ["base_objects", "city_objects"])
def test_each_api_has_deployment_service_and_probes_on_its_port(variant, request):
    objects = request.getfixturevalue(variant)
    deployments, services = by_kind(objects, "Deployment"), by_kind(objects, "Service")
    for s in SERVICES:
        pod = deployments[f"{s.name}-api"]["spec"]["template"]
        (api,) = pod["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in api["ports"]}
        assert ports == {"http": s.port}
        assert api["command"][api["command"].index("--port") + 1] == str(s.port)
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/healthz")):
            get = api[probe]["httpGet"]
            assert get["path"] == path and ports.get(get["port"], get["port"]) == s.port, (s.name, probe)
        service = services[f"{s.name}-api"]
        assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
        (port,) = service["spec"]["ports"]
        assert port["port"] == s.port and ports.get(port["targetPort"], port["targetPort"]) == s.port
        assert pod["metadata"]["annotations"]["prometheus.io/path"] == "/metrics"


@pytest.mark.parametrize("variant", ["base_objects", "city_objects"])
def test_workers_run_the_worker_and_every_pod_migrates_first(variant, request):
    deployments = by_kind(request.getfixturevalue(variant), "Deployment")
    for s in SERVICES:
        worker = deployments[f"{s.name}-worker"]["spec"]["template"]["spec"]
        assert worker["containers"][0]["command"] == ["python", "-m", f"bihuan_{s.name}.worker"]
        for role in ("api", "worker"):
            (init,) = deployments[f"{s.name}-{role}"]["spec"]["template"]["spec"]["initContainers"]
            assert init["command"][:4] == ["python", "-m", "bihuan_shared.migrate", s.name]


@pytest.mark.parametrize("variant", ["base_objects", "city_objects"])
def test_every_container_is_bounded_and_unprivileged(variant, request):
    for name, deployment in by_kind(request.getfixturevalue(variant), "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"  # Pod Security "restricted"
        for container in pod["containers"] + pod.get("initContainers", []):
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
            resources = container["resources"]
            assert {"cpu", "memory"} <= resources["requests"].keys() and {"cpu", "memory"} <= resources["limits"].keys()
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name


def _images(objects: list[dict]) -> dict[str, set[str]]:
    images: dict[str, set[str]] = {}
    for name, deployment in by_kind(objects, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        images[name] = {c["image"] for c in pod["containers"] + pod.get("initContainers", [])}
    return images


def test_image_names_match_the_services_in_base_overlay_and_compose(base_objects, city_objects, compose_config):
    base, city = _images(base_objects), _images(city_objects)
    assert base.keys() == city.keys() == {f"{s.name}-{r}" for s in SERVICES for r in ("api", "worker")}
    registries = set()
    for s in SERVICES:
        compose_image = compose_config["services"][f"{s.name}-api"]["image"]
        for role in ("api", "worker"):
            assert base[f"{s.name}-{role}"] == {compose_image} == {f"{s.image}:{IMAGE_TAG}"}
            (city_image,) = city[f"{s.name}-{role}"]
            assert DIGEST.fullmatch(city_image.rsplit(f"/{s.image}", 1)[1]), f"{city_image}: pinned by digest"
            registries.add(city_image.rsplit(f"/{s.image}", 1)[0])
    assert len(registries) == 1, f"the overlay pulls from several registries: {registries}"


def _env_refs(objects: list[dict]) -> set[tuple[str, str]]:
    refs = set()
    for deployment in by_kind(objects, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            for source in container.get("envFrom", []):
                kind = "ConfigMap" if "configMapRef" in source else "Secret"
                refs.add((kind, (source.get("configMapRef") or source.get("secretRef"))["name"]))
    return refs


def test_dev_settings_exist_and_name_real_settings_fields(dev_objects):
    for kind, name in _env_refs(dev_objects):
        assert name in by_kind(dev_objects, kind), f"{kind} {name} is referenced but not in the dev overlay"
    for kind in ("ConfigMap", "Secret"):
        for name, obj in by_kind(dev_objects, kind).items():
            svc = next(s for s in SERVICES if f"-{s.name}-" in name)
            keys = (obj.get("data") or {}).keys() - {"BIHUAN_ENV"}  # the kit's one unprefixed switch
            assert keys and all(k.startswith(svc.env_prefix) for k in keys), name
            unknown = {k for k in keys if k[len(svc.env_prefix):].lower() not in svc.settings_fields}
            assert not unknown, f"{name}: keys that no setting reads: {unknown}"


def test_development_mode_is_switched_on_only_by_the_dev_overlay(base_objects, city_objects, dev_objects):
    def env_of(objects):
        return {base64.b64decode(v).decode() if o["kind"] == "Secret" else v
                for o in objects if o["kind"] in ("Secret", "ConfigMap")
                for k, v in (o.get("data") or {}).items() if k == "BIHUAN_ENV"}
    assert env_of(dev_objects) == {"development"}
    assert env_of(base_objects) == env_of(city_objects) == set()


def test_no_secret_in_the_base_nor_the_city(base_objects, city_objects):
    """Issue 12 #13: the base held the development credentials (the city had to delete them)."""
    assert not by_kind(base_objects, "Secret"), "the base is shared by every deployment: it holds no credential"
    assert not by_kind(city_objects, "Secret"), "the city's Secrets come from its secret store"


def test_redis_is_reached_with_a_password_and_never_by_a_plain_setting(base_objects, city_objects, dev_objects):
    for objects in (base_objects, city_objects, dev_objects):
        for config in by_kind(objects, "ConfigMap").values():
            assert not [k for k in config.get("data", {}) if k.endswith("_REDIS_URL")], "a Redis URL is a secret"
    for name, secret in by_kind(dev_objects, "Secret").items():
        (url,) = [base64.b64decode(v).decode() for k, v in secret["data"].items() if k.endswith("_REDIS_URL")]
        assert urlsplit(url).password, f"{name}: Redis without a password"


def test_city_ships_no_development_secret_and_merges_its_settings(city_objects):
    assert {n for k, n in _env_refs(city_objects) if k == "Secret"} == {f"bihuan-{s.name}-secrets" for s in SERVICES}
    for s in SERVICES:
        (config,) = [c for n, c in by_kind(city_objects, "ConfigMap").items() if n.startswith(f"bihuan-{s.name}-")]
        assert config["data"][f"{s.env_prefix}HTTP_PORT"] == str(s.port)  # kept from the base
        assert config["data"][f"{s.env_prefix}JWT_ALGORITHM"] == "RS256"  # merged from the overlay
    assert all(o["metadata"].get("namespace") == "bihuan" for o in city_objects if o["kind"] != "Namespace")


def test_city_runs_more_copies_than_the_base(base_objects, city_objects):
    base, city = by_kind(base_objects, "Deployment"), by_kind(city_objects, "Deployment")
    for name, deployment in base.items():
        if "replicas" in deployment["spec"]:
            assert city[name]["spec"]["replicas"] > deployment["spec"]["replicas"], name
    b_hpa, c_hpa = by_kind(base_objects, "HorizontalPodAutoscaler"), by_kind(city_objects, "HorizontalPodAutoscaler")
    b_so, c_so = by_kind(base_objects, "ScaledObject"), by_kind(city_objects, "ScaledObject")
    for service in AUTOSCALED:
        assert c_hpa[f"{service}-api"]["spec"]["maxReplicas"] > b_hpa[f"{service}-api"]["spec"]["maxReplicas"]
        worker = f"{service}-worker"
        assert c_so[worker]["spec"]["maxReplicaCount"] > b_so[worker]["spec"]["maxReplicaCount"]
    for pdb in by_kind(city_objects, "PodDisruptionBudget").values():
        target = city[pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]]
        floor = target["spec"].get("replicas") or c_hpa[target["metadata"]["name"]]["spec"]["minReplicas"]
        assert pdb["spec"]["minAvailable"] < floor, "a PodDisruptionBudget must leave room for a drain"


@pytest.mark.parametrize("service", sorted(AUTOSCALED))
@pytest.mark.parametrize("variant", ["base_objects", "city_objects"])
def test_the_api_autoscales_on_cpu(variant, service, request):
    objects = request.getfixturevalue(variant)
    name = f"{service}-api"
    hpa = by_kind(objects, "HorizontalPodAutoscaler")[name]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert "replicas" not in by_kind(objects, "Deployment")[name]["spec"], "the HPA owns the replicas"
    assert 1 <= hpa["minReplicas"] < hpa["maxReplicas"]
    assert hpa["metrics"][0]["resource"]["name"] == "cpu"


@pytest.mark.parametrize("service", sorted(AUTOSCALED))
@pytest.mark.parametrize("variant", ["base_objects", "city_objects"])
def test_keda_scales_workers_on_queues_the_code_declares(variant, service, request):
    objects = request.getfixturevalue(variant)
    name = f"{service}-worker"
    scaled = by_kind(objects, "ScaledObject")[name]
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    spec = scaled["spec"]
    assert spec["scaleTargetRef"]["name"] == name
    assert "replicas" not in by_kind(objects, "Deployment")[name]["spec"], "KEDA owns the replicas"
    assert 0 <= spec["minReplicaCount"] < spec["maxReplicaCount"]
    queues = declared_queues()
    watched = set()
    for trigger in spec["triggers"]:
        assert trigger["type"] == "rabbitmq"
        meta = trigger["metadata"]
        assert meta["mode"] == "QueueLength" and int(meta["value"]) > 0 and meta["protocol"] == "amqp"
        assert meta["queueName"] in queues, f"KEDA watches {meta['queueName']}, the workers declare {sorted(queues)}"
        watched.add(meta["queueName"])
        auth = by_kind(objects, "TriggerAuthentication")[trigger["authenticationRef"]["name"]]["spec"]
        (host,) = [r for r in auth["secretTargetRef"] if r["parameter"] == "host"]
        assert host["key"] == f"BIHUAN_{service.upper()}_AMQP_URL" and host["name"] == f"bihuan-{service}-secrets"
    assert AUTOSCALED[service] in watched, f"{AUTOSCALED[service]} is what {service}'s busy season fills"


def test_city_keeps_evidence_where_every_replica_finds_it(city_objects):
    """Several execution API copies cannot share a pod's disk: the city's evidence goes to its object store."""
    (config,) = [c for n, c in by_kind(city_objects, "ConfigMap").items() if n.startswith("bihuan-execution-")]
    assert by_kind(city_objects, "Deployment")["execution-api"]["spec"]["replicas"] > 1
    assert config["data"]["BIHUAN_EXECUTION_EVIDENCE_STORE"] == "s3"
    assert config["data"]["BIHUAN_EXECUTION_EVIDENCE_S3_BUCKET"]


@pytest.mark.parametrize("variant", ["base_objects", "city_objects"])
def test_network_policies_deny_by_default_and_open_only_the_known_flows(variant, request):
    """Issue 12 #13: no NetworkPolicy existed, so any pod of the cluster could call an API's /metrics or reach Redis."""
    policies = by_kind(request.getfixturevalue(variant), "NetworkPolicy")
    deny = policies["bihuan-default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"} and not deny.get("ingress")
    ingress = [p for p in policies.values() if "Ingress" in p["spec"]["policyTypes"] and p["spec"].get("ingress")]
    assert [p["metadata"]["name"] for p in ingress] == ["bihuan-api-ingress"]
    (rule,) = ingress[0]["spec"]["ingress"]
    assert {p["port"] for p in rule["ports"]} == {s.port for s in SERVICES}
    assert all("namespaceSelector" in f and f["namespaceSelector"].get("matchLabels") for f in rule["from"])
    webhook = policies["bihuan-webhook-egress"]["spec"]
    assert webhook["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "supervision-worker"}
    (egress,) = webhook["egress"]
    (block,) = egress["to"]
    excluded = [ipaddress.ip_network(c) for c in block["ipBlock"]["except"]]
    for internal in ("10.1.2.3", "172.20.0.1", "192.168.1.1", "127.0.0.1", "169.254.169.254", "100.64.0.1"):
        assert any(ipaddress.ip_address(internal) in net for net in excluded), f"webhooks could reach {internal}"

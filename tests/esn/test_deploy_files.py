"""The deployment files, verified by reading them (no cluster, no Docker daemon here): the
Kubernetes example in deploy/kubernetes/ (docs/scale-out.md) and docker-compose.yml.

What must hold: exactly one Celery beat, never two even during an upgrade; web pods taken
out of the Service by /readyz and restarted only by /healthz; every container runs as the
image's non-root user; the migrate Job runs `migrate --noinput`; every process reads the same
ConfigMap and Secret; and every variable the files set is one .env.example documents."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
KUBERNETES = ROOT / "deploy" / "kubernetes"
WORKLOADS = {"Deployment", "Job", "StatefulSet", "DaemonSet", "CronJob"}


def manifests() -> list[dict[str, Any]]:
    return [
        {**document, "_file": path.name}
        for path in sorted(KUBERNETES.glob("*.yaml"))
        for document in yaml.safe_load_all(path.read_text())
        if document is not None
    ]


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [document for document in manifests() if document["kind"] == kind]


def named(kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in by_kind(kind) if d["metadata"]["name"] == name]
    return found


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def workloads() -> list[dict[str, Any]]:
    return [document for document in manifests() if document["kind"] in WORKLOADS]


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return spec.get("initContainers", []) + spec["containers"]


def documented_variables() -> set[str]:
    """Every NAME= line of .env.example, set or commented out (`# NAME=...`)."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def esn_uid_in_dockerfile() -> int | None:
    match = re.search(r"useradd\b[^\n]*--uid[ =](\d+)", (ROOT / "Dockerfile").read_text())
    return int(match.group(1)) if match else None


def test_every_manifest_is_yaml_of_a_named_kubernetes_object_without_a_namespace():
    documents = manifests()
    assert {d["_file"] for d in documents} == {p.name for p in KUBERNETES.glob("*.yaml")}
    for document in documents:
        assert document.get("apiVersion") and document.get("kind"), document["_file"]
        if document["kind"] != "Kustomization":
            assert document["metadata"]["name"].startswith("esn-"), document["_file"]
            # The operator chooses the namespace (kubectl -n, or an overlay).
            assert "namespace" not in document["metadata"], document["_file"]


def test_kustomization_applies_every_manifest_except_the_migrate_job_which_runs_first():
    (kustomization,) = by_kind("Kustomization")
    listed = set(kustomization["resources"])
    assert all((KUBERNETES / name).is_file() for name in listed)
    others = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == others - {"migrate-job.yaml"}
    (image,) = kustomization["images"]
    for workload in workloads():
        for container in containers(workload):
            assert container["image"].split(":")[0] == image["name"], workload["_file"]


def test_exactly_one_beat_and_an_upgrade_stops_it_before_starting_the_new_one():
    beats = [w for w in workloads() if any("beat" in c.get("command", []) for c in containers(w))]
    assert [beat["metadata"]["name"] for beat in beats] == ["esn-beat"]
    (beat,) = beats
    assert beat["kind"] == "Deployment"
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}


def test_web_is_ready_on_readyz_alive_on_healthz_and_rolls_without_losing_capacity():
    web = named("Deployment", "esn-web")
    assert web["spec"]["replicas"] == 2
    assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    (container,) = containers(web)
    port = container["ports"][0]
    assert port["containerPort"] == 8000  # the image's PORT
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] in (port["name"], 8000)
    assert container["resources"]["requests"]["cpu"]
    assert container["resources"]["limits"]["memory"]


def test_the_service_and_ingress_reach_the_web_pods_over_tls():
    web = named("Deployment", "esn-web")
    service = named("Service", "esn-web")
    pod_labels = web["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (container,) = containers(web)
    assert service["spec"]["ports"][0]["targetPort"] in (container["ports"][0]["name"], 8000)

    (ingress,) = by_kind("Ingress")
    (tls,) = ingress["spec"]["tls"]
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    assert tls["secretName"] and set(hosts) <= set(tls["hosts"])
    backends = [
        path["backend"]["service"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert backends and all(b["name"] == "esn-web" for b in backends)
    assert all(b["port"].get("name") == service["spec"]["ports"][0]["name"] for b in backends)


def test_every_deployment_selects_the_pods_it_makes():
    for deployment in by_kind("Deployment"):
        selector = deployment["spec"]["selector"]["matchLabels"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), deployment["_file"]


def test_every_container_runs_as_the_images_non_root_user_without_privileges():
    uid = esn_uid_in_dockerfile()
    assert uid, (
        "The Dockerfile must give the esn user a fixed uid (useradd --uid N): Kubernetes "
        "needs it by number to enforce runAsNonRoot, and the manifests name it"
    )
    for workload in workloads():
        pod = pod_spec(workload).get("securityContext", {})
        for container in containers(workload):
            context = {**pod, **container.get("securityContext", {})}
            where = f"{workload['_file']}: {container['name']}"
            assert context.get("runAsNonRoot") is True, where
            assert context.get("runAsUser") == uid, where
            assert context.get("runAsGroup", uid) != 0, where
            assert context.get("allowPrivilegeEscalation") is False, where
            assert "ALL" in context.get("capabilities", {}).get("drop", []), where


def test_the_migrate_job_runs_migrate_once_and_is_not_retried_blindly():
    job = named("Job", "esn-migrate")
    (container,) = containers(job)
    assert container["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert pod_spec(job)["restartPolicy"] == "Never"
    assert job["spec"].get("parallelism", 1) == 1
    assert job["spec"]["backoffLimit"] == 0


def test_every_process_reads_the_same_configmap_and_secret():
    (config,) = by_kind("ConfigMap")
    for workload in workloads():
        for container in containers(workload):
            sources = container.get("envFrom", [])
            maps = [s["configMapRef"]["name"] for s in sources if "configMapRef" in s]
            secrets = [s["secretRef"]["name"] for s in sources if "secretRef" in s]
            where = f"{workload['_file']}: {container['name']}"
            assert maps == [config["metadata"]["name"]], where
            assert secrets == ["esn-secrets"], where


def test_every_variable_the_manifests_set_is_documented_in_env_example():
    documented = documented_variables()
    set_here: dict[str, str] = {}
    for document in by_kind("ConfigMap"):
        set_here.update(dict.fromkeys(document.get("data", {}), document["_file"]))
    for workload in workloads():
        for container in containers(workload):
            for variable in container.get("env", []):
                set_here[variable["name"]] = workload["_file"]
    assert set_here
    undocumented = {name: where for name, where in set_here.items() if name not in documented}
    assert undocumented == {}


def compose_services_running_our_image() -> dict[str, dict[str, Any]]:
    """Services running the app's image (esn:...); the variables of the other images
    (postgres, redis, the proxy, the pooler's entrypoint) are those images' own."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return {
        name: service
        for name, service in compose["services"].items()
        if str(service.get("image", "")).split(":")[0] == "esn"
    }


def test_every_variable_docker_compose_sets_for_the_app_is_documented_in_env_example():
    documented = documented_variables()
    services = compose_services_running_our_image()
    assert {"web", "worker", "beat", "migrate"} <= set(services)
    undocumented = {}
    for name, service in services.items():
        environment = service.get("environment", {})
        if isinstance(environment, list):
            environment = dict(item.partition("=")[::2] for item in environment)
        for variable in environment:
            if variable not in documented:
                undocumented[variable] = name
    assert undocumented == {}


def test_compose_migrates_with_the_same_command_as_the_kubernetes_job():
    compose = compose_services_running_our_image()["migrate"]
    (container,) = containers(named("Job", "esn-migrate"))
    assert compose["command"] == container["command"]


def test_compose_publishes_only_the_tls_proxy_and_trusts_only_its_address():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    publishing = sorted(name for name, service in services.items() if service.get("ports"))
    caddy = services["caddy"]
    caddy_address = caddy["networks"]["esn"]["ipv4_address"]

    assert publishing == ["caddy"]
    assert "./deploy/caddy/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    for name, service in compose_services_running_our_image().items():
        assert service["environment"]["FORWARDED_ALLOW_IPS"] == caddy_address, name
        assert service["environment"]["TRUSTED_PROXY_COUNT"] == "1", name
    subnet = compose["networks"]["esn"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(caddy_address) in ipaddress.ip_network(subnet)


def test_compose_pools_the_apps_connections_and_migrates_around_the_pooler():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert "@pgbouncer:6432/" in env["DATABASE_URL"], name
        assert env["DATABASE_TRANSACTION_POOLING"] == "1", name
        assert env["MEDIA_S3_BUCKET"] == "esn-media", name
    migrate = services["migrate"]["environment"]
    assert "@postgres:5432/" in migrate["DATABASE_URL"]
    assert migrate["DATABASE_TRANSACTION_POOLING"] == "0"
    assert services["pgbouncer"]["build"] == "deploy/pgbouncer"
    assert (ROOT / "deploy" / "pgbouncer" / "entrypoint.sh").stat().st_mode & 0o111
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
